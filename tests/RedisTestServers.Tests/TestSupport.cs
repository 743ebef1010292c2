using StackExchange.Redis;

namespace CacheSidecar.Testing.Redis.Tests;

internal static class TestSupport
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<ConnectionMultiplexer> ConnectAsync(string configuration, bool allowAdmin = false)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AllowAdmin = allowAdmin; // CONFIG GET / DBSIZE-style checks
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>True if <paramref name="pid"/> is a live redis-server (a reused PID running something else does not count).</summary>
    public static bool IsRedisServerAlive(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("redis-server", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    /// <summary>Retries <paramref name="action"/> until it stops throwing Redis connection errors, for at most <paramref name="timeout"/>.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> action, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, Ct);
            }
        }
    }
}
