-- The users the worker serves: the source of truth behind GET/PUT /users/{id}.
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY NOT NULL,
  body TEXT NOT NULL -- the user, as JSON
);
