-- Concurrency: in-flight slots across every isolate. One sorted set per
-- identifier: a member per lease (its id, from `extra`), scored by the ms
-- its lease ends. limit = slots; window = the lease's TTL in ms, so the slot
-- of a holder that never releases (a crashed isolate) comes back by itself.
-- cost 1 acquires the lease, -1 releases it, 0 checks. Expired leases count
-- for nothing and are dropped by the next write.

local function cc_report(st, count, first_end)
  st.remaining = clamp(st.limit - count, 0, st.limit)
  -- The earliest a slot frees without a release: the first lease's end.
  st.reset_ms = first_end or st.now
  -- A release may free a slot at any moment: never cache a refusal.
  st.block_ms = 0
end

local function cc_first_end(key, now)
  local first = redis.call('ZRANGEBYSCORE', key, '(' .. s(now), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if first[2] then return tonumber(first[2]) end
  return nil
end

ALG.cc = {
  peek = function(keys, p)
    local now = p.now_ms
    local key, lease = keys[1], s(p.extra)
    local count = redis.call('ZCOUNT', key, '(' .. s(now), '+inf')
    local first_end = cc_first_end(key, now)
    local st = { key = key, limit = p.limit, ttl = p.window, now = now, lease = lease }
    cc_report(st, count, first_end)
    local mine = redis.call('ZSCORE', key, lease)
    if p.cost < 0 or (mine and tonumber(mine) > now) then
      -- A release, or renewing a lease already held: takes no new slot.
      st.ok, st.retry_ms = true, 0
    else
      st.ok = count + 1 <= p.limit
      if st.ok then st.retry_ms = 0 else st.retry_ms = math.max(0, first_end - now) end
    end
    return st
  end,
  commit = function(st, cost)
    local key, now = st.key, st.now
    redis.call('ZREMRANGEBYSCORE', key, '-inf', s(now))
    if cost > 0 then
      redis.call('ZADD', key, s(now + st.ttl), st.lease)
    else
      redis.call('ZREM', key, st.lease)
    end
    local count = redis.call('ZCARD', key)
    if count == 0 then
      redis.call('DEL', key)
    else
      local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
      redis.call('PEXPIRE', key, s(math.max(1, tonumber(last[2]) - now)))
    end
    cc_report(st, count, cc_first_end(key, now))
  end,
}
