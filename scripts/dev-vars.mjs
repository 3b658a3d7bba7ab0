// Writes `.dev.vars` for `wrangler dev` (used by scripts/dev.sh), so settings
// and secrets reach the worker through a file only this user can read (mode
// 0600) rather than through `--var` arguments that every local user sees in `ps`.
//
// - Keeps what `.dev.vars` already holds; a setting exported in the shell wins.
// - Without an ADMIN_TOKEN in either, makes a random one (36 characters, 192
//   random bits), saves it, and prints it once (later runs reuse it from the
//   file and do not print it again). The worker refuses one shorter than 32
//   characters: one saved in the file is then replaced, one from the shell
//   is refused here, naming the variable.
// - Without an API_KEY_SECRET, makes one and saves it (never printed): API
//   keys then survive a new ADMIN_TOKEN.
// - Prints the names it passes, never the values.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";

const FILE = ".dev.vars";
const SETTING =
  /^(UPSTASH_[A-Z_]+|CACHE_[A-Z_]+|RATE_LIMIT_[A-Z_]+|WEBHOOK_[A-Z_]+|AUTH_FAILURE_[A-Z_]+|API_KEY_[A-Z_]+|HEALTH_CACHE_MS|MAX_USER_OVERRIDES_PER_TENANT|ADMIN_TOKEN|REDIS_URL|REDIS_PASSWORD|EDGECACHE_FRONTED_REDIS)$/;
/** The shortest ADMIN_TOKEN (and API_KEY_SECRET) the worker accepts. */
const MIN_SECRET_LENGTH = 32;
const say = (line) => console.log(`[dev] ${line}`);

const vars = existsSync(FILE) ? parseEnv(readFileSync(FILE, "utf8")) : {};
// An upstash-local that scripts/front-redis-url.sh started for an earlier run
// is gone: forget its address and token (this run's, if any, come below).
if (vars.EDGECACHE_FRONTED_REDIS) {
  delete vars.UPSTASH_REDIS_REST_URL;
  delete vars.UPSTASH_REDIS_REST_TOKEN;
  delete vars.EDGECACHE_FRONTED_REDIS;
}
const fromShell = Object.keys(process.env).filter((name) => SETTING.test(name)).sort();
for (const name of fromShell) vars[name] = process.env[name];
// REDIS_URL=redis://… is served through upstash-local this run: the worker
// gets its REST address instead.
if (process.env.EDGECACHE_FRONTED_REDIS) {
  delete vars.REDIS_URL;
  delete vars.REDIS_PASSWORD;
}

for (const name of ["ADMIN_TOKEN", "API_KEY_SECRET"]) {
  if (fromShell.includes(name) && vars[name].length < MIN_SECRET_LENGTH) {
    console.error(`[dev] ${name} from your shell is shorter than ${MIN_SECRET_LENGTH} characters; the worker would refuse it (make one with: openssl rand -base64 32)`);
    process.exit(1);
  }
}
let replaced = false;
if (vars.ADMIN_TOKEN && vars.ADMIN_TOKEN.length < MIN_SECRET_LENGTH) {
  delete vars.ADMIN_TOKEN;
  replaced = true;
}
let generated = false;
if (!vars.ADMIN_TOKEN) {
  vars.ADMIN_TOKEN = `dev-${randomBytes(24).toString("base64url")}`;
  generated = true;
}
let secretMade = false;
if (!vars.API_KEY_SECRET || vars.API_KEY_SECRET.length < MIN_SECRET_LENGTH) {
  vars.API_KEY_SECRET = randomBytes(32).toString("base64url");
  secretMade = true;
}

for (const [name, value] of Object.entries(vars)) {
  if (/["\\\r\n]/.test(value)) {
    console.error(`[dev] ${name} holds a quote, backslash or line break; .dev.vars cannot carry it as written`);
    process.exit(1);
  }
}
const text = Object.entries(vars).map(([name, value]) => `${name}="${value}"\n`).join("");
// `mode` applies only when the file is created; chmod covers an existing one.
writeFileSync(FILE, text, { mode: 0o600 });
chmodSync(FILE, 0o600);

if (fromShell.length > 0) say(`from your shell into ${FILE}: ${fromShell.join(", ")}`);
if (secretMade) say(`API_KEY_SECRET (signs API keys) was made and saved in ${FILE}`);
if (generated) {
  if (replaced) say(`the ADMIN_TOKEN in ${FILE} was shorter than ${MIN_SECRET_LENGTH} characters, so it was replaced`);
  say(`no ADMIN_TOKEN was set, so one was made and saved in ${FILE} (shown this once):`);
  say(`  ADMIN_TOKEN=${vars.ADMIN_TOKEN}`);
} else {
  say(`ADMIN_TOKEN comes from ${fromShell.includes("ADMIN_TOKEN") ? "your shell" : FILE}`);
}
