-- Sliding log: one sorted set per identifier, one member per unit, scored by
-- its time in microseconds. An entry counts while score > now - W. Scores
-- strictly increase per key (max(now, newest + 1)), so members, the score's
-- decimal text, are unique even for requests in the same microsecond.

local function sl_report(st)
  local key, now, Wus, L = st.key, st.now, st.Wus, st.limit
  local count = redis.call('ZCOUNT', key, '(' .. s(now - Wus), '+inf')
  st.count = count
  st.remaining = clamp(L - count, 0, L)
  if count > 0 then
    local oldest = redis.call('ZRANGEBYSCORE', key, '(' .. s(now - Wus), '+inf',
                              'WITHSCORES', 'LIMIT', 0, 1)
    st.reset_ms = cdiv(tonumber(oldest[2]) + Wus, 1000)
  else
    st.reset_ms = idiv(now, 1000)
  end
end

-- ms from now until a request of cost x fits, if nothing else happens:
-- until the (count + x - limit)-th oldest entry leaves the window.
local function sl_wait(st, x)
  local excess = st.count + x - st.limit
  if excess <= 0 then return 0 end
  local nth = redis.call('ZRANGEBYSCORE', st.key, '(' .. s(st.now - st.Wus), '+inf',
                         'WITHSCORES', 'LIMIT', excess - 1, 1)
  return cdiv(tonumber(nth[2]) + st.Wus - st.now, 1000)
end

ALG.sl = {
  peek = function(keys, p)
    local st = { key = keys[1], limit = p.limit, Wus = p.window * 1000, now = p.now_us }
    sl_report(st)
    st.block_ms = sl_wait(st, 1)
    if p.cost < 0 then
      st.ok, st.retry_ms = true, 0
    else
      local need = math.max(p.cost, 1)
      st.ok = st.count + need <= st.limit
      st.retry_ms = sl_wait(st, need)
    end
    return st
  end,
  commit = function(st, cost)
    local key, now, Wus = st.key, st.now, st.Wus
    redis.call('ZREMRANGEBYSCORE', key, '-inf', s(now - Wus))
    if cost > 0 then
      local base = now
      local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
      if newest[2] and tonumber(newest[2]) >= base then base = tonumber(newest[2]) + 1 end
      local i = 0
      while i < cost do
        local args = {}
        local j = 0
        while i < cost and j < 1000 do
          args[#args + 1] = s(base + i)
          args[#args + 1] = s(base + i)
          i, j = i + 1, j + 1
        end
        redis.call('ZADD', key, unpack(args))
      end
      redis.call('PEXPIRE', key, s(cdiv(base + cost - 1 + Wus - now, 1000)))
    elseif cost < 0 then
      -- A refund takes back the newest units; the TTL set for them still covers the rest.
      redis.call('ZPOPMAX', key, s(-cost))
    end
    sl_report(st)
    st.block_ms = sl_wait(st, 1)
  end,
}
