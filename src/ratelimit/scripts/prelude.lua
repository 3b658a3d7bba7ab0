-- edgecache rate limiting, one script for every algorithm (see src/ratelimit/mod.rs).
--
-- The files of scripts/ are concatenated in this order: prelude, one file per
-- algorithm, driver. Each algorithm registers ALG[code] = { peek, commit }:
--   peek(keys, p) reads only, and returns a state table with
--     ok (does the request fit), remaining, reset_ms, retry_ms, block_ms,
--     quirk (the algorithm writes even when it refuses: Upstash compatibility);
--   commit(st, cost) writes the request (every key with a TTL) and refreshes
--     remaining, reset_ms and block_ms;
--   windowed = true when its units belong to a window (fixed and sliding
--     window): a settle refunds only within the window they were spent in.
-- The driver peeks at every limit, then commits all of them or none.
--
-- Numbers: Lua numbers are doubles. Every value here is an integer below 2^53
-- (the Rust side bounds limit * window_ms by 2^50), so arithmetic is exact;
-- idiv() corrects the rounding of a / b so floor and ceil are exact too.
-- Numbers go to Redis through s(): Lua's own tostring keeps 14 digits only.

local function idiv(a, b)
  local q = math.floor(a / b)
  if q * b > a then
    q = q - 1
  elseif (q + 1) * b <= a then
    q = q + 1
  end
  return q
end

local function cdiv(a, b)
  return -idiv(-a, b)
end

local function clamp(x, lo, hi)
  if x < lo then return lo end
  if x > hi then return hi end
  return x
end

local function s(x)
  return string.format('%.0f', x)
end

local ALG = {}
