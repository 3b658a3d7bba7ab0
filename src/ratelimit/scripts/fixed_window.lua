-- Fixed window: one hash per identifier, {w = window index, n = units used}.
-- Windows are aligned to the epoch: window k is [k * W, (k + 1) * W) ms.
-- A refused request writes nothing (unlike @upstash/ratelimit's INCRBY).

local function fw_report(st, n)
  st.remaining = clamp(st.limit - n, 0, st.limit)
  st.reset_ms = st.window_end
  if n >= st.limit then
    st.block_ms = st.window_end - st.now
  else
    st.block_ms = 0
  end
end

ALG.fw = {
  windowed = true,
  peek = function(keys, p)
    local W, now = p.window, p.now_ms
    local k = idiv(now, W)
    local v = redis.call('HMGET', keys[1], 'w', 'n')
    local n = 0
    if v[1] and tonumber(v[1]) == k then n = tonumber(v[2]) end
    local st = { key = keys[1], limit = p.limit, now = now, k = k, n = n,
                 window_end = (k + 1) * W }
    fw_report(st, n)
    local need = math.max(p.cost, 1)
    st.ok = p.cost < 0 or n + need <= p.limit
    if st.ok then st.retry_ms = 0 else st.retry_ms = st.window_end - now end
    return st
  end,
  commit = function(st, cost)
    local n = clamp(st.n + cost, 0, st.limit)
    redis.call('HSET', st.key, 'w', s(st.k), 'n', s(n))
    redis.call('PEXPIRE', st.key, s(st.window_end - st.now))
    fw_report(st, n)
  end,
}
