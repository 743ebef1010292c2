using StackExchange.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>One write as a flusher sees it in a partition log: which key, at which version.</summary>
internal readonly record struct LogEntry(RedisValue Id, string Key, long Version);
