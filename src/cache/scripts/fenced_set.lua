-- Fenced write: store an entry only if every version it was read under is
-- still current (memcache leases, Nishtala et al., NSDI 2013, on Redis).
-- KEYS[1]          the entry key
-- KEYS[2..n+1]     version keys (namespace epoch, own version, tags, prefix epoch)
-- KEYS[n+2..]      per adaptive tag: its member set, its last-invalidated key
-- KEYS[#KEYS]      the lease the read took, when ARGV[7] is not ''
-- ARGV[1] the entry payload; ARGV[2] its PX; ARGV[3] PX of version keys
-- ARGV[4] n; ARGV[5] refuse if an adaptive tag was invalidated less than
-- this many ms ago; ARGV[6] the member adaptive tags record (the entry's
-- own version key); ARGV[7] the lease token ('' when no lease was taken)
-- ARGV[6+2i]       the version the reader saw for version key i ('' when absent)
-- ARGV[7+2i]       the version to create for version key i when it was absent
-- Returns 1 when written, 0 when refused (a version moved, or an adaptive
-- tag was invalidated while the value loaded: the payload may be stale). A
-- key the read saw absent may already hold the very version this write
-- would create: another write of the same isolate, which read it absent
-- too, created it (an invalidation sets a random version of its own).
local n = tonumber(ARGV[4])
local leased = 0
if ARGV[7] ~= '' then
  leased = 1
  -- Written or refused, the load is over: the lease goes (if still ours).
  if redis.call('GET', KEYS[#KEYS]) == ARGV[7] then
    redis.call('DEL', KEYS[#KEYS])
  end
end
for i = 1, n do
  local current = redis.call('GET', KEYS[i + 1]) or ''
  local seen = ARGV[6 + 2 * i]
  if current ~= seen and not (seen == '' and current == ARGV[7 + 2 * i]) then
    return 0
  end
end
local tags = (#KEYS - 1 - n - leased) / 2
if tags > 0 then
  local time = redis.call('TIME')
  local since_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) - tonumber(ARGV[5])
  for j = 1, tags do
    if tonumber(redis.call('GET', KEYS[n + 1 + 2 * j]) or '0') >= since_ms then
      return 0
    end
  end
end
local version_px = tonumber(ARGV[3])
for i = 1, n do
  local key = KEYS[i + 1]
  if ARGV[6 + 2 * i] == '' and redis.call('EXISTS', key) == 0 then
    redis.call('SET', key, ARGV[7 + 2 * i], 'PX', version_px)
  elseif redis.call('PTTL', key) < version_px then
    -- A version must outlive every entry stamped with it.
    redis.call('PEXPIRE', key, version_px)
  end
end
for j = 1, tags do
  local members = KEYS[n + 2 * j]
  redis.call('SADD', members, ARGV[6])
  if redis.call('PTTL', members) < version_px then
    redis.call('PEXPIRE', members, version_px)
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
