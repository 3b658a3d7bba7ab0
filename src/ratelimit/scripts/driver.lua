-- Driver. ARGV[1] = now in microseconds, or '' for the server clock (TIME);
-- ARGV[2] = number of limits; then 7 arguments per limit:
--   algorithm code, number of keys it takes from KEYS (in order), limit,
--   window_ms, cost (negative: refund, 0: check only), extra (GCRA: burst;
--   Upstash-compatible algorithms: the client's clock in ms; else 0),
--   guard ('' for none; else the limit's first key is the guard key, and
--   the limit counts only when that key holds a string containing the guard
--   text; otherwise it is skipped: neither checked nor spent).
-- Peeks at every limit, then commits all (when every one fits) or none
-- (except the writes the Upstash-compatible algorithms make on refusal).
-- Returns {all_ok, then per limit: ok (1, 0, or 2 when skipped), remaining,
-- reset_ms, retry_ms, block_ms, now_ms}.

local now_us
if ARGV[1] ~= '' then
  now_us = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local now_ms = idiv(now_us, 1000)

local count = tonumber(ARGV[2])
local states = {}
local all_ok = true
local next_key, a = 1, 3
for i = 1, count do
  local alg = ALG[ARGV[a]]
  if not alg then
    return redis.error_reply('ERR edgecache ratelimit: unknown algorithm ' .. tostring(ARGV[a]))
  end
  local nkeys = tonumber(ARGV[a + 1])
  local guard = ARGV[a + 6]
  local first = next_key
  if guard ~= '' then first = next_key + 1 end
  local keys = {}
  for j = first, next_key + nkeys - 1 do keys[#keys + 1] = KEYS[j] end
  local p = { limit = tonumber(ARGV[a + 2]), window = tonumber(ARGV[a + 3]),
              cost = tonumber(ARGV[a + 4]), extra = tonumber(ARGV[a + 5]),
              now_us = now_us, now_ms = now_ms }
  a = a + 7
  local st
  local held = true
  if guard ~= '' then
    local value = redis.call('GET', KEYS[next_key])
    held = value and string.find(value, guard, 1, true) ~= nil
  end
  next_key = next_key + nkeys
  if held then
    st = alg.peek(keys, p)
    st.alg, st.cost = alg, p.cost
    -- The clock the decision used: the client's for the Upstash-compatible ones.
    st.decided_ms = alg.client_clock and p.extra or now_ms
    if not st.ok then all_ok = false end
  else
    st = { skipped = true, ok = true, remaining = 0, reset_ms = 0, retry_ms = 0, block_ms = 0,
           decided_ms = now_ms, cost = 0 }
  end
  states[i] = st
end

for i = 1, count do
  local st = states[i]
  if not st.skipped and st.cost ~= 0 and (all_ok or (st.quirk and not st.ok)) then
    st.alg.commit(st, st.cost)
  end
end

local out = { all_ok and 1 or 0 }
for i = 1, count do
  local st = states[i]
  out[#out + 1] = st.skipped and 2 or (st.ok and 1 or 0)
  out[#out + 1] = st.remaining
  out[#out + 1] = st.reset_ms
  out[#out + 1] = st.retry_ms
  out[#out + 1] = st.block_ms
  out[#out + 1] = st.decided_ms
end
return out
