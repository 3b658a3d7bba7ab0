-- @upstash/ratelimit v2 slidingWindow, for a shared database: counters
-- {prefix}:{identifier}:{k} and ...:{k - 1} with k = floor(now / W) (now = the
-- client's clock, as the JS library does). The previous count is weighted as
-- the JS script does, math.floor((1 - (now % W) / W) * previous), in the same
-- floating point. A request is refused without counting when
-- weighted + current >= limit; otherwise INCRBY cost (PEXPIRE 2W + 1000 when
-- that created the key) and it succeeds when weighted + new <= limit: so a
-- request of cost > 1 can be counted and still refused (its quirk, kept).

local function usw_weighted(prev, e, W)
  return math.floor((1 - (e % W) / W) * prev)
end

local function usw_fits(prev, cur, x, e, W, L)
  return usw_weighted(prev, e, W) + cur + x <= L
end

-- First offset e' in [e, W) of this window where cost x fits, or nil.
local function usw_first(prev, cur, x, e, W, L)
  local room = L - cur - x
  if room < 0 then return nil end
  local c
  if prev == 0 then c = e else c = math.max(e, W - idiv((room + 1) * W - 1, prev)) end
  -- The integer estimate may differ from the float rule by one: settle it.
  local guard = 0
  while c > e and usw_fits(prev, cur, x, c - 1, W, L) and guard < 4 do c, guard = c - 1, guard + 1 end
  guard = 0
  while c < W and not usw_fits(prev, cur, x, c, W, L) and guard < 4 do c, guard = c + 1, guard + 1 end
  if c < W and usw_fits(prev, cur, x, c, W, L) then return c end
  return nil
end

local function usw_wait(st, cur, x)
  local W, L = st.W, st.limit
  local e1 = usw_first(st.prev, cur, x, st.e, W, L)
  if e1 then return e1 - st.e end
  local e2 = usw_first(cur, 0, x, 0, W, L)
  if e2 then return W - st.e + e2 end
  return 2 * W - st.e
end

local function usw_report(st, cur)
  st.remaining = clamp(st.limit - (cur + st.weighted), 0, st.limit)
  st.reset_ms = (st.k + 1) * st.W
  st.block_ms = usw_wait(st, cur, 1)
end

ALG.usw = {
  client_clock = true,
  peek = function(keys, p)
    local W, now, L = p.window, p.extra, p.limit
    local k = idiv(now, W)
    local cur = tonumber(redis.call('GET', keys[1]) or 0)
    local prev = tonumber(redis.call('GET', keys[2]) or 0)
    local st = { key = keys[1], limit = L, W = W, now = now, k = k, e = now - k * W,
                 cur = cur, prev = prev, weighted = usw_weighted(prev, now, W) }
    usw_report(st, cur)
    local x = p.cost
    if x > 0 then
      st.quirk = st.weighted + cur < L
      st.ok = st.weighted + cur + x <= L
    elseif x == 0 then
      st.quirk = false
      st.ok = st.weighted + cur + 1 <= L
    else
      st.quirk = true
      st.ok = st.weighted + cur + x <= L
    end
    if st.ok then st.retry_ms = 0 else st.retry_ms = usw_wait(st, cur, math.max(x, 1)) end
    return st
  end,
  commit = function(st, cost)
    local cur = redis.call('INCRBY', st.key, s(cost))
    if cur == cost then redis.call('PEXPIRE', st.key, s(st.W * 2 + 1000)) end
    usw_report(st, cur)
  end,
}
