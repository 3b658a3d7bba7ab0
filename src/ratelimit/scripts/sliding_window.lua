-- Sliding window (weighted two-window counter): one hash per identifier,
-- {w = window index, c = units in window w, p = units in window w - 1}.
-- At offset e ms into window k the estimate is p * (W - e) / W + c; a request
-- of cost x fits when p * (W - e) + (c + x) * W <= limit * W (exact integers).

local function sw_fits(st, cur, x, e)
  return st.prev * (st.W - e) + (cur + x) * st.W <= st.limit * st.W
end

-- ms from now until a request of cost x fits, if nothing else happens.
local function sw_wait(st, cur, x)
  local L, W, p, e = st.limit, st.W, st.prev, st.e
  if sw_fits(st, cur, x, e) then return 0 end
  local room = L - cur - x
  if room >= 0 and p > 0 then
    local e2 = W - idiv(room * W, p)
    if e2 < W then return e2 - e end
  end
  -- Next window: this window's units become the weighted previous ones.
  if cur == 0 then return W - e end
  local e3 = W - idiv((L - x) * W, cur)
  if e3 < W then return W - e + e3 end
  return 2 * W - e
end

local function sw_report(st, cur)
  local L, W = st.limit, st.W
  st.remaining = clamp(idiv(L * W - st.prev * (W - st.e), W) - cur, 0, L)
  st.reset_ms = (st.k + 1) * W
  st.block_ms = sw_wait(st, cur, 1)
end

ALG.sw = {
  windowed = true,
  peek = function(keys, p)
    local W, now = p.window, p.now_ms
    local k = idiv(now, W)
    local v = redis.call('HMGET', keys[1], 'w', 'c', 'p')
    local cur, prev = 0, 0
    if v[1] then
      local w = tonumber(v[1])
      if w == k then
        cur, prev = tonumber(v[2]), tonumber(v[3])
      elseif w == k - 1 then
        prev = tonumber(v[2])
      end
    end
    local st = { key = keys[1], limit = p.limit, W = W, now = now, k = k,
                 e = now - k * W, cur = cur, prev = prev }
    sw_report(st, cur)
    if p.cost < 0 then
      st.ok, st.retry_ms = true, 0
    else
      local need = math.max(p.cost, 1)
      st.ok = sw_fits(st, cur, need, st.e)
      st.retry_ms = sw_wait(st, cur, need)
    end
    return st
  end,
  commit = function(st, cost)
    local cur = math.max(0, st.cur + cost)
    redis.call('HSET', st.key, 'w', s(st.k), 'c', s(cur), 'p', s(st.prev))
    -- Kept until the end of the next window, where it is the previous one.
    redis.call('PEXPIRE', st.key, s((st.k + 2) * st.W - st.now))
    sw_report(st, cur)
  end,
}
