# Sourced by scripts/dev.sh and scripts/test.sh. The TypeScript setups edgecache
# replaces run locally with REDIS_URL=redis://localhost:6379, which a Worker
# cannot use (Workers cannot hold the TCP connection redis:// needs). When
# REDIS_URL is a redis:// URL, this starts upstash-local in front of that Redis
# (its token random, passed through the environment, never argv), exports
# UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN for the worker, unsets
# REDIS_URL / REDIS_PASSWORD, says what it did, and stops upstash-local when
# the calling script exits. Any other REDIS_URL is left alone.

front_redis_url() {
  local url="${REDIS_URL:-}"
  case "$url" in
    redis://*) ;;
    rediss://*)
      echo "[redis] REDIS_URL is a rediss:// (TLS) URL: upstash-local connects to Redis without TLS." >&2
      echo "[redis] Use a redis:// URL for a local Redis, or set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN to a database's REST endpoint." >&2
      return 1
      ;;
    *) return 0 ;;
  esac
  if [ -n "${UPSTASH_REDIS_REST_URL:-}" ]; then
    echo "[redis] both REDIS_URL (redis://) and UPSTASH_REDIS_REST_URL are set: unset one of them" >&2
    return 1
  fi
  if [ -n "${REDIS_PASSWORD:-}" ] && [[ "$url" != *@* ]]; then
    url="redis://:${REDIS_PASSWORD}@${url#redis://}"
  fi
  [ -x target/debug/upstash-local ] || cargo build -q -p upstash-local
  local log token
  log=$(mktemp)
  token=$(node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("base64url"))')
  UPSTASH_LOCAL_TOKEN="$token" UPSTASH_LOCAL_REDIS_URL="$url" \
    target/debug/upstash-local --listen 127.0.0.1:0 >"$log" 2>&1 &
  FRONT_REDIS_PID=$!
  trap 'kill "$FRONT_REDIS_PID" 2>/dev/null || true' EXIT
  local rest="" _
  for _ in $(seq 1 100); do
    rest=$(sed -n 's/^upstash-local listening on //p' "$log")
    [ -n "$rest" ] && break
    if ! kill -0 "$FRONT_REDIS_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ -z "$rest" ]; then
    echo "[redis] upstash-local did not start in front of REDIS_URL:" >&2
    cat "$log" >&2
    return 1
  fi
  export UPSTASH_REDIS_REST_URL="$rest" UPSTASH_REDIS_REST_TOKEN="$token" EDGECACHE_FRONTED_REDIS=1
  unset REDIS_URL REDIS_PASSWORD
  echo "[redis] REDIS_URL is a redis:// URL, which Workers cannot reach: upstash-local now serves it"
  echo "[redis] over the Upstash REST API at $rest (UPSTASH_REDIS_REST_URL, with a fresh token), until this command ends"
}
