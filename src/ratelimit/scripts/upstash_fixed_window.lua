-- @upstash/ratelimit v2 fixedWindow, for a shared database: key
-- {prefix}:{identifier}:{floor(now / W)} (now = the client's clock, as the
-- JS library does), a counter INCRBY'd by the cost and given PEXPIRE W when
-- the INCRBY created it. Its quirk is kept: a refused request is counted too.

local function ufw_report(st, r)
  st.remaining = clamp(st.limit - r, 0, st.limit)
  st.reset_ms = st.window_end
  if r >= st.limit then st.block_ms = st.window_end - st.now else st.block_ms = 0 end
end

ALG.ufw = {
  client_clock = true,
  peek = function(keys, p)
    local W, now = p.window, p.extra
    local k = idiv(now, W)
    local r = tonumber(redis.call('GET', keys[1]) or 0)
    local st = { key = keys[1], limit = p.limit, W = W, now = now,
                 window_end = (k + 1) * W, r = r }
    ufw_report(st, r)
    st.ok = r + math.max(p.cost, 1) <= p.limit
    if p.cost < 0 then st.ok = r + p.cost <= p.limit end
    if st.ok then st.retry_ms = 0 else st.retry_ms = st.window_end - now end
    st.quirk = p.cost ~= 0
    return st
  end,
  commit = function(st, cost)
    local r = redis.call('INCRBY', st.key, s(cost))
    if r == cost then redis.call('PEXPIRE', st.key, s(st.W)) end
    ufw_report(st, r)
  end,
}
