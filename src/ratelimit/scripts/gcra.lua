-- GCRA (Generic Cell Rate Algorithm, ATM Forum TM 4.0 virtual scheduling; as
-- in redis-cell): one string per identifier holding the theoretical arrival
-- time (TAT) in microseconds. Emission interval T = ceil(W_us / limit);
-- tolerance = burst * T. A request of cost x fits when
-- max(TAT, now) + x * T - now <= burst * T. A missing key is TAT <= now.

local function gcra_report(st, tat)
  local T, tol, now = st.T, st.tol, st.now
  local d = tat - now
  st.remaining = clamp(idiv(tol - d, T), 0, st.burst)
  if d <= 0 then
    st.reset_ms = idiv(now, 1000)
  else
    -- When the next unit frees: d falls to the multiple of T below it.
    st.reset_ms = cdiv(now + d - (cdiv(d, T) - 1) * T, 1000)
  end
  st.block_ms = cdiv(math.max(0, tat + T - tol - now), 1000)
end

ALG.gcra = {
  peek = function(keys, p)
    local now = p.now_us
    local T = cdiv(p.window * 1000, p.limit)
    -- 0 (or more than the limit, under an override): the limit itself.
    local burst = p.extra
    if burst == 0 or burst > p.limit then burst = p.limit end
    local tat = now
    local v = redis.call('GET', keys[1])
    if v then tat = math.max(tonumber(v), now) end
    local st = { key = keys[1], limit = p.limit, burst = burst, T = T,
                 tol = burst * T, now = now, tat = tat }
    gcra_report(st, tat)
    if p.cost < 0 then
      st.ok, st.retry_ms = true, 0
    else
      local late = tat + math.max(p.cost, 1) * T - st.tol - now
      st.ok = late <= 0
      st.retry_ms = cdiv(math.max(0, late), 1000)
    end
    return st
  end,
  commit = function(st, cost)
    local tat = math.max(st.now, st.tat + cost * st.T)
    if tat <= st.now then
      redis.call('DEL', st.key)
    else
      redis.call('SET', st.key, s(tat), 'PX', s(cdiv(tat - st.now, 1000)))
    end
    gcra_report(st, tat)
  end,
}
