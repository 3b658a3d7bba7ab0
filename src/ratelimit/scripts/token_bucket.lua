-- Token bucket with continuous refill: one hash per identifier,
-- {n = tokens scaled by W (one token = W units), t = ms of n}. Capacity is
-- limit tokens (limit * W units), refilled at limit tokens per W ms, i.e.
-- exactly limit units per ms: no fractions, no step refill. A missing key is
-- a full bucket, so the key expires when the bucket would be full again.

local function tb_report(st, n)
  local L, W, C = st.limit, st.W, st.cap
  st.remaining = clamp(idiv(n, W), 0, L)
  if n >= C then
    st.reset_ms = st.now
  else
    st.reset_ms = st.now + cdiv((idiv(n, W) + 1) * W - n, L)
  end
  if n >= W then st.block_ms = 0 else st.block_ms = cdiv(W - n, L) end
end

ALG.tb = {
  peek = function(keys, p)
    local L, W, now = p.limit, p.window, p.now_ms
    local C = L * W
    local n = C
    local v = redis.call('HMGET', keys[1], 'n', 't')
    if v[1] then
      local elapsed = clamp(now - tonumber(v[2]), 0, W)
      n = math.min(C, tonumber(v[1]) + elapsed * L)
    end
    local st = { key = keys[1], limit = L, W = W, cap = C, now = now, n = n }
    tb_report(st, n)
    if p.cost < 0 then
      st.ok, st.retry_ms = true, 0
    else
      local need = math.max(p.cost, 1) * W
      st.ok = n >= need
      if st.ok then st.retry_ms = 0 else st.retry_ms = cdiv(need - n, L) end
    end
    return st
  end,
  commit = function(st, cost)
    local n = math.min(st.cap, st.n - cost * st.W)
    if n >= st.cap then
      redis.call('DEL', st.key)
    else
      redis.call('HSET', st.key, 'n', s(n), 't', s(st.now))
      redis.call('PEXPIRE', st.key, s(cdiv(st.cap - n, st.limit)))
    end
    tb_report(st, n)
  end,
}
