using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Configuration;

/// <summary>
/// Refuses a bad configuration at start-up with messages that name the namespace and the field
/// (<c>Sidecar:Namespaces:users:Ttl …</c>), so an operator can fix the ConfigMap without reading code.
/// </summary>
internal sealed partial class SidecarOptionsValidator : IValidateOptions<SidecarOptions>
{
    // Namespace names become part of Redis keys and hash tags: keep them to a safe alphabet.
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex NamespaceNamePattern();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,32}$")]
    private static partial Regex KeyPrefixPattern();

    // MongoDB collection names: no '$', no NUL, not empty, not "system.".
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,120}$")]
    private static partial Regex CollectionNamePattern();

    public ValidateOptionsResult Validate(string? name, SidecarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (nsName, nsOptions) in options.Namespaces)
        {
            ValidateNamespace(nsName, nsOptions, failures);
        }

        if (!KeyPrefixPattern().IsMatch(options.Redis.KeyPrefix ?? string.Empty))
        {
            failures.Add("Sidecar:Redis:KeyPrefix must be 1-32 characters of letters, digits, '_', '.', '-'.");
        }

        if (options.Redis.CircuitBreakDuration <= TimeSpan.Zero)
        {
            failures.Add("Sidecar:Redis:CircuitBreakDuration must be positive.");
        }

        if (options.Mongo.ServerSelectionTimeout <= TimeSpan.Zero)
        {
            failures.Add("Sidecar:Mongo:ServerSelectionTimeout must be positive.");
        }

        if (!string.IsNullOrEmpty(options.Mongo.ConnectionString) && string.IsNullOrWhiteSpace(options.Mongo.Database))
        {
            failures.Add("Sidecar:Mongo:Database must be set when Sidecar:Mongo:ConnectionString is.");
        }

        ValidateConnectionStrings(options, failures);

        if (!string.IsNullOrEmpty(options.Auth.TokenFile) && !File.Exists(options.Auth.TokenFile))
        {
            failures.Add($"Sidecar:Auth:TokenFile '{options.Auth.TokenFile}' does not exist.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// A connection string the drivers cannot parse refuses to start here, instead of crashing the
    /// process with an unhandled exception when the cache tier or store is first built. The
    /// drivers' messages name the offending option and never the password (the MongoDB driver
    /// prints <c>&lt;hidden&gt;</c>; StackExchange.Redis never validates, so never echoes, <c>password=</c>);
    /// the connection strings themselves are not repeated.
    /// </summary>
    private static void ValidateConnectionStrings(SidecarOptions options, List<string> failures)
    {
        if (!string.IsNullOrWhiteSpace(options.Redis.Configuration))
        {
            try
            {
                StackExchange.Redis.ConfigurationOptions.Parse(options.Redis.Configuration);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or StackExchange.Redis.RedisException)
            {
                failures.Add($"Sidecar:Redis:Configuration is not a valid StackExchange.Redis configuration: {ex.Message}");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Mongo.ConnectionString))
        {
            try
            {
                MongoDB.Driver.MongoClientSettings.FromConnectionString(options.Mongo.ConnectionString);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or MongoDB.Driver.MongoConfigurationException)
            {
                failures.Add($"Sidecar:Mongo:ConnectionString is not a valid MongoDB connection string: {ex.Message}");
            }
        }

        if (!Enum.TryParse<MongoDB.Driver.ReadPreferenceMode>(options.Mongo.ReadPreference, ignoreCase: true, out _))
        {
            failures.Add($"Sidecar:Mongo:ReadPreference must be one of {string.Join(", ", Enum.GetNames<MongoDB.Driver.ReadPreferenceMode>())} (was '{options.Mongo.ReadPreference}').");
        }
    }

    private static void ValidateNamespace(string nsName, NamespaceOptions options, List<string> failures)
    {
        var at = $"Sidecar:Namespaces:{nsName}";
        if (!NamespaceNamePattern().IsMatch(nsName))
        {
            failures.Add($"{at}: the namespace name must be 1-64 characters of letters, digits, '_', '.', '-'.");
            return;
        }

        var policy = NamespacePolicy.From(nsName, options);
        if (policy.Strategy is CacheStrategy.CacheAside or CacheStrategy.WriteThrough or CacheStrategy.WriteBehind && !policy.HasStore)
        {
            failures.Add($"{at}:Collection is required for the {policy.Strategy} strategy (only Ttl namespaces may be a pure cache).");
        }

        if (policy.Collection is { } collection && (!CollectionNamePattern().IsMatch(collection) || collection.StartsWith("system.", StringComparison.Ordinal)))
        {
            failures.Add($"{at}:Collection '{collection}' is not a valid collection name (letters, digits, '_', '.', '-'; not 'system.*').");
        }

        Positive(policy.Ttl, $"{at}:Ttl", failures);
        Positive(policy.MaxTtl, $"{at}:MaxTtl", failures);
        Positive(policy.LeaseTtl, $"{at}:LeaseTtl", failures);
        NotNegative(policy.TtlJitter, $"{at}:TtlJitter", failures);
        NotNegative(policy.NegativeTtl, $"{at}:NegativeTtl", failures);
        NotNegative(policy.StaleWindow, $"{at}:StaleWindow", failures);
        if (policy.Ttl > policy.MaxTtl)
        {
            failures.Add($"{at}:Ttl ({policy.Ttl}) must not exceed MaxTtl ({policy.MaxTtl}).");
        }

        Range(policy.MaxKeyBytes, 1, NamespaceDefaults.MaxKeyBytesLimit, $"{at}:MaxKeyBytes", failures);
        Range(policy.MaxValueBytes, 1, NamespaceDefaults.MaxValueBytesLimit, $"{at}:MaxValueBytes", failures);
        Range(policy.Partitions, 1, NamespaceDefaults.MaxPartitions, $"{at}:Partitions", failures);
        if (policy.Strategy == CacheStrategy.WriteBehind)
        {
            ValidateWriteBehind(policy.WriteBehind, $"{at}:WriteBehind", failures);
        }

        if (policy.NearCache.Enabled)
        {
            ValidateNearCache(policy.NearCache, $"{at}:NearCache", failures);
        }
    }

    private static void ValidateNearCache(NearCachePolicy l1, string at, List<string> failures)
    {
        Range(l1.MaxEntries, 1, NearCacheDefaults.MaxEntriesLimit, $"{at}:MaxEntries", failures);
        if (l1.MaxBytes < 1024 || l1.MaxBytes > NearCacheDefaults.MaxBytesLimit)
        {
            failures.Add($"{at}:MaxBytes must be between 1024 and {NearCacheDefaults.MaxBytesLimit} (was {l1.MaxBytes}).");
        }

        Positive(l1.Ttl, $"{at}:Ttl", failures);
        if (l1.ResyncInterval < NearCacheDefaults.MinResyncInterval)
        {
            failures.Add($"{at}:ResyncInterval must be at least {NearCacheDefaults.MinResyncInterval} (was {l1.ResyncInterval}).");
        }
    }

    private static void ValidateWriteBehind(WriteBehindPolicy wb, string at, List<string> failures)
    {
        Range(wb.BatchSize, 1, WriteBehindDefaults.MaxBatchSize, $"{at}:BatchSize", failures);
        Range(wb.MaxAttempts, 1, 1000, $"{at}:MaxAttempts", failures);
        Range(wb.WaitForReplicas, 0, 100, $"{at}:WaitForReplicas", failures);
        if (wb.MaxBacklog < 1)
        {
            failures.Add($"{at}:MaxBacklog must be at least 1 (was {wb.MaxBacklog}).");
        }

        Positive(wb.FlushInterval, $"{at}:FlushInterval", failures);
        Positive(wb.ReclaimAfter, $"{at}:ReclaimAfter", failures);
        Positive(wb.RetryBaseDelay, $"{at}:RetryBaseDelay", failures);
        Positive(wb.RetryMaxDelay, $"{at}:RetryMaxDelay", failures);
        Positive(wb.WaitTimeout, $"{at}:WaitTimeout", failures);
        if (wb.RetryBaseDelay > wb.RetryMaxDelay)
        {
            failures.Add($"{at}:RetryBaseDelay ({wb.RetryBaseDelay}) must not exceed RetryMaxDelay ({wb.RetryMaxDelay}).");
        }
    }

    private static void Positive(TimeSpan value, string field, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{field} must be positive (was {value}).");
        }
    }

    private static void NotNegative(TimeSpan value, string field, List<string> failures)
    {
        if (value < TimeSpan.Zero)
        {
            failures.Add($"{field} must not be negative (was {value}).");
        }
    }

    private static void Range(int value, int min, int max, string field, List<string> failures)
    {
        if (value < min || value > max)
        {
            failures.Add($"{field} must be between {min} and {max} (was {value}).");
        }
    }
}
