-- Driver. Header: ARGV[1] = now in microseconds, or '' for the server clock
-- (TIME); ARGV[2] = number of limits; ARGV[3] = deny-list check: '' for none,
-- else the identifier's member ('i:…', or '-' for none) and ARGV[4] the
-- client address as a bit string with its family ('4:0110…', '6:…', or '-'),
-- the deny list being KEYS[1] (a sorted set: member -> ms its entry ends)
-- and KEYS[2] (a set of the prefix lengths in use, '4:24', '6:48').
-- Then 9 arguments per limit, from ARGV[5] (ARGV[4] when no deny check):
--   algorithm code, number of keys it takes from KEYS (in order), limit,
--   window_ms, cost (negative: refund, 0: check only), extra (GCRA: burst,
--   0 for the limit's own; Upstash-compatible algorithms: the client's clock
--   in ms; concurrency: the lease id; else 0),
--   guard ('' for none; else the limit's first key is the guard key, and
--   the limit counts only when that key holds a string containing the guard
--   text; otherwise it is skipped: neither checked nor spent),
--   override ('' for none; '1': the next key holds 'limit window_ms' for
--   this identifier, replacing the limiter's own when present),
--   reservation ('' for none; 'r': reserve, so a commit records its cost in
--   the limit's last key; 's': settle, the cost being the units used: the
--   record in the last key gives back what it reserved beyond them, once
--   (the record then reads 'settled'), and for the window algorithms only
--   within the window the units were spent in).
-- Peeks at every limit, then commits all (when every one fits) or none
-- (except the writes the Upstash-compatible algorithms make on refusal).
-- Returns {all_ok, denied_until_ms (0: not denied), then per limit: ok (1,
-- 0, or 2 when skipped), remaining, reset_ms, retry_ms, block_ms, now_ms,
-- limit, window_ms, refunded (a settle's: -1 no such reservation, -2 settled
-- before)}. A denied call checks and spends nothing.

local now_us
if ARGV[1] ~= '' then
  now_us = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local now_ms = idiv(now_us, 1000)

local count = tonumber(ARGV[2])
local next_key, a = 1, 4

-- The deny list: one ZMSCORE of every member this call could match.
if ARGV[3] ~= '' then
  next_key, a = 3, 5
  local members = {}
  if ARGV[3] ~= '-' then members[#members + 1] = ARGV[3] end
  if ARGV[4] ~= '-' then
    local family, bits = string.sub(ARGV[4], 1, 1), string.sub(ARGV[4], 3)
    for _, len in ipairs(redis.call('SMEMBERS', KEYS[2])) do
      local f, n = string.sub(len, 1, 1), tonumber(string.sub(len, 3))
      if f == family and n and n <= #bits then
        members[#members + 1] = family .. ':' .. string.sub(bits, 1, n)
      end
    end
  end
  if #members > 0 then
    local until_ms = 0
    for _, score in ipairs(redis.call('ZMSCORE', KEYS[1], unpack(members))) do
      if score and tonumber(score) > now_ms then until_ms = math.max(until_ms, tonumber(score)) end
    end
    if until_ms > 0 then
      local out = { 0, until_ms }
      for _ = 1, count do
        for _, v in ipairs({ 0, 0, until_ms, until_ms - now_ms, 0, now_ms, 0, 0, 0 }) do out[#out + 1] = v end
      end
      return out
    end
  end
end

local states = {}
local all_ok = true
for i = 1, count do
  local alg = ALG[ARGV[a]]
  if not alg then
    return redis.error_reply('ERR edgecache ratelimit: unknown algorithm ' .. tostring(ARGV[a]))
  end
  local nkeys = tonumber(ARGV[a + 1])
  local guard, override, reservation = ARGV[a + 6], ARGV[a + 7], ARGV[a + 8]
  local last = next_key + nkeys - 1
  local first = next_key
  if guard ~= '' then first = first + 1 end
  local override_key
  if override ~= '' then
    override_key = KEYS[first]
    first = first + 1
  end
  local own_last = last
  if reservation ~= '' then own_last = last - 1 end
  local keys = {}
  for j = first, own_last do keys[#keys + 1] = KEYS[j] end
  local p = { limit = tonumber(ARGV[a + 2]), window = tonumber(ARGV[a + 3]),
              cost = tonumber(ARGV[a + 4]), extra = tonumber(ARGV[a + 5]),
              now_us = now_us, now_ms = now_ms }
  a = a + 9
  local st
  local held = true
  if guard ~= '' then
    local value = redis.call('GET', KEYS[next_key])
    held = value and string.find(value, guard, 1, true) ~= nil
  end
  next_key = last + 1
  if held then
    if override_key then
      local o = redis.call('GET', override_key)
      if o then
        local sp = string.find(o, ' ', 1, true)
        p.limit, p.window = tonumber(string.sub(o, 1, sp - 1)), tonumber(string.sub(o, sp + 1))
      end
    end
    local refunded = 0
    if reservation == 's' then
      -- A settle: the cost argument is the units used. The record becomes
      -- 'settled' (same TTL), so a retry refunds nothing and says so.
      local record = redis.call('GET', KEYS[last])
      if not record then
        refunded = -1
      elseif record == 'settled' then
        refunded = -2
      else
        local sp = string.find(record, ' ', 1, true)
        local reserved, spent_in = tonumber(string.sub(record, 1, sp - 1)), tonumber(string.sub(record, sp + 1))
        refunded = math.max(0, reserved - math.max(0, p.cost))
        if alg.windowed and spent_in ~= idiv(now_ms, p.window) then refunded = 0 end
        redis.call('SET', KEYS[last], 'settled', 'KEEPTTL')
      end
      p.cost = -math.max(0, refunded)
    end
    st = alg.peek(keys, p)
    st.alg, st.cost, st.refunded = alg, p.cost, refunded
    st.limit_used, st.window_used = p.limit, p.window
    if reservation == 'r' then st.record_key = KEYS[last] end
    -- The clock the decision used: the client's for the Upstash-compatible ones.
    st.decided_ms = alg.client_clock and p.extra or now_ms
    if not st.ok then all_ok = false end
  else
    st = { skipped = true, ok = true, remaining = 0, reset_ms = 0, retry_ms = 0, block_ms = 0,
           decided_ms = now_ms, cost = 0, limit_used = p.limit, window_used = p.window, refunded = 0 }
  end
  states[i] = st
end

for i = 1, count do
  local st = states[i]
  if not st.skipped and st.cost ~= 0 and (all_ok or (st.quirk and not st.ok)) then
    st.alg.commit(st, st.cost)
    if st.record_key and all_ok then
      -- What a settle may give back, and the window it was spent in.
      redis.call('SET', st.record_key, s(st.cost) .. ' ' .. s(idiv(now_ms, st.window_used)),
                 'PX', s(st.window_used))
    end
  end
end

local out = { all_ok and 1 or 0, 0 }
for i = 1, count do
  local st = states[i]
  out[#out + 1] = st.skipped and 2 or (st.ok and 1 or 0)
  out[#out + 1] = st.remaining
  out[#out + 1] = st.reset_ms
  out[#out + 1] = st.retry_ms
  out[#out + 1] = st.block_ms
  out[#out + 1] = st.decided_ms
  out[#out + 1] = st.limit_used
  out[#out + 1] = st.window_used
  out[#out + 1] = st.refunded
end
return out
