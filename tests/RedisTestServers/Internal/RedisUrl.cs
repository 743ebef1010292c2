using System.Globalization;

namespace CacheSidecar.Testing.Redis.Internal;

/// <summary>Turns REDIS_URL / REDIS_CLUSTER_URL values into StackExchange.Redis configuration strings.</summary>
internal static class RedisUrl
{
    private const int DefaultPort = 6379;

    /// <summary>
    /// Accepts a StackExchange.Redis string ("host:port,password=x", returned as is) or one or more comma-separated
    /// <c>redis://[[user]:password@]host[:port][/db]</c> / <c>rediss://</c> URLs, which become
    /// "host:port[,...][,user=..][,password=..][,ssl=true][,defaultDatabase=n]".
    /// </summary>
    public static string ToConfiguration(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!parts.Any(part => part.Contains("://", StringComparison.Ordinal)))
        {
            return value.Trim();
        }

        var endpoints = new List<string>();
        var options = new List<string>();
        foreach (var part in parts)
        {
            if (!part.Contains("://", StringComparison.Ordinal))
            {
                options.Add(part); // already a StackExchange.Redis option such as abortConnect=false
                continue;
            }

            var uri = new Uri(part, UriKind.Absolute);
            var secure = uri.Scheme switch
            {
                "redis" => false,
                "rediss" => true,
                _ => throw new FormatException($"Unsupported Redis URL scheme '{uri.Scheme}' in '{part}'."),
            };
            var port = uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port;
            endpoints.Add(string.Create(CultureInfo.InvariantCulture, $"{uri.Host}:{port}"));

            // Credentials, TLS and database come from the first URL that states them; a cluster shares them.
            AddOnce(options, "ssl", secure ? "true" : null);
            if (uri.UserInfo.Length > 0)
            {
                var separator = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
                var user = separator < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[..separator]);
                var password = Uri.UnescapeDataString(separator < 0 ? uri.UserInfo : uri.UserInfo[(separator + 1)..]);
                AddOnce(options, "user", string.IsNullOrEmpty(user) ? null : user);
                AddOnce(options, "password", password.Length == 0 ? null : password);
            }

            var database = uri.AbsolutePath.Trim('/');
            AddOnce(options, "defaultDatabase", database.Length == 0 ? null : database);
        }

        return string.Join(',', endpoints.Concat(options));
    }

    private static void AddOnce(List<string> options, string name, string? value)
    {
        if (value is not null && !options.Any(option => option.StartsWith(name + "=", StringComparison.OrdinalIgnoreCase)))
        {
            options.Add($"{name}={value}");
        }
    }
}
