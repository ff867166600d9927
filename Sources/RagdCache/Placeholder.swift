// Placeholder until the Redis caches land.
