-- A read with a lease (memcache leases, Nishtala et al., NSDI 2013): the
-- entry and its versions, as an MGET would answer them, and, when the entry
-- cannot be served fresh, a lease for this reader to load it, so one loader
-- runs for a key however many isolates miss it at once.
-- KEYS[1] the entry; KEYS[2..#KEYS-1] its version keys; KEYS[#KEYS] the lease
-- ARGV[1] this reader's lease token; ARGV[2] the lease's PX; ARGV[3] the
-- reader's clock (ms since the epoch), which wrote the entry's `f` too
-- Returns {entry, versions..., lease}: lease 0 when the entry is fresh (no
-- lease needed), 1 when this reader took the lease (it loads), 2 when
-- another reader holds it. "Fresh" is judged as the client judges it: every
-- version current (an absent one is never current) and its clock before `f`.
local n = #KEYS - 1
local values = redis.call('MGET', unpack(KEYS, 1, n))
local fresh = false
if values[1] then
  local ok, entry = pcall(cjson.decode, values[1])
  if ok and type(entry) == 'table' and type(entry.s) == 'table' and type(entry.f) == 'number' then
    fresh = true
    for i = 2, n do
      if not values[i] or entry.s[KEYS[i]] ~= values[i] then
        fresh = false
        break
      end
    end
    fresh = fresh and tonumber(ARGV[3]) < entry.f
  end
end
local lease = 0
if not fresh then
  if redis.call('SET', KEYS[#KEYS], ARGV[1], 'NX', 'PX', ARGV[2]) then
    lease = 1
  else
    lease = 2
  end
end
values[n + 1] = lease
return values
