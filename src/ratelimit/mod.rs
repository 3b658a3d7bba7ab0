//! Rate limiting on Upstash REST (work in progress).
