-- Invalidates adaptive tags: every entry whose loader named the tag gets a
-- new version (its readers then miss), the member set is emptied, and the
-- time is noted so a write-back whose load raced this is refused.
-- KEYS[2j-1], KEYS[2j]   per tag: its member set, its last-invalidated key
-- ARGV[1] the new version of the members; ARGV[2] PX of versions and notes
-- Returns the number of entries invalidated.
local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local invalidated = 0
for j = 1, #KEYS, 2 do
  for _, member in ipairs(redis.call('SMEMBERS', KEYS[j])) do
    redis.call('SET', member, ARGV[1], 'PX', ARGV[2])
    invalidated = invalidated + 1
  end
  redis.call('DEL', KEYS[j])
  redis.call('SET', KEYS[j + 1], now_ms, 'PX', ARGV[2])
end
return invalidated
