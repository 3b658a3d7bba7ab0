//! Integer division as the scripts round: `floor` for what is left, `ceil`
//! for waits (Lua's `math.floor`/`math.ceil` on exact integer quotients).

/// `floor(a / b)` for `b > 0`.
pub(crate) fn floor_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

/// `ceil(a / b)` for `b > 0`.
pub(crate) fn ceil_div(a: i64, b: i64) -> i64 {
    -(-a).div_euclid(b)
}
