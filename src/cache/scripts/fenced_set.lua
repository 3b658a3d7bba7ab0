-- Fenced write: store an entry only if every version it was read under is
-- still current (memcache leases, Nishtala et al., NSDI 2013, on Redis).
-- KEYS[1]      the entry key
-- KEYS[2..n]   version keys (namespace epoch, then tags)
-- ARGV[1]      the entry payload; ARGV[2] its PX; ARGV[3] PX of version keys
-- ARGV[2i]     the version the reader saw for KEYS[i] ('' when it was absent)
-- ARGV[2i+1]   the version to create for KEYS[i] when it was absent
-- Returns 1 when written, 0 when refused (a version moved: an invalidation
-- ran since the read, so the payload may be stale). A key the read saw
-- absent may already hold the very version this write would create: another
-- write of the same isolate, which read it absent too, created it (an
-- invalidation sets a random version of its own).
for i = 2, #KEYS do
  local current = redis.call('GET', KEYS[i]) or ''
  local seen = ARGV[2 * i]
  if current ~= seen and not (seen == '' and current == ARGV[2 * i + 1]) then
    return 0
  end
end
local version_px = tonumber(ARGV[3])
for i = 2, #KEYS do
  if ARGV[2 * i] == '' and redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('SET', KEYS[i], ARGV[2 * i + 1], 'PX', version_px)
  elseif redis.call('PTTL', KEYS[i]) < version_px then
    -- A version must outlive every entry stamped with it.
    redis.call('PEXPIRE', KEYS[i], version_px)
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
