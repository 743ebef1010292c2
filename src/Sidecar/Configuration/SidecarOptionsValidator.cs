using System.Diagnostics.CodeAnalysis;
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
            ValidateChangeStream(options, nsName, nsOptions, failures);
        }

        if (!KeyPrefixPattern().IsMatch(options.Redis.KeyPrefix ?? string.Empty))
        {
            failures.Add("Sidecar:Redis:KeyPrefix must be 1-32 characters of letters, digits, '_', '.', '-'.");
        }

        CheckRules(options.Redis, "Sidecar:Redis", failures);
        CheckRules(options.Mongo, "Sidecar:Mongo", failures);

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
                failures.Add(
                    $"Sidecar:Redis:Configuration is not a valid StackExchange.Redis configuration: {ex.Message}");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Mongo.ConnectionString))
        {
            try
            {
                MongoDB.Driver.MongoClientSettings.FromConnectionString(options.Mongo.ConnectionString);
            }
            catch (Exception ex)
                when (ex is ArgumentException or FormatException or MongoDB.Driver.MongoConfigurationException)
            {
                failures.Add($"Sidecar:Mongo:ConnectionString is not a valid MongoDB connection string: {ex.Message}");
            }
        }

        if (!Enum.TryParse<MongoDB.Driver.ReadPreferenceMode>(options.Mongo.ReadPreference, ignoreCase: true, out _))
        {
            failures.Add("Sidecar:Mongo:ReadPreference must be one of "
                + $"{string.Join(", ", Enum.GetNames<MongoDB.Driver.ReadPreferenceMode>())} "
                + $"(was '{options.Mongo.ReadPreference}').");
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
        if (policy.Strategy is CacheStrategy.CacheAside or CacheStrategy.WriteThrough or CacheStrategy.WriteBehind
            && !policy.HasStore)
        {
            failures.Add(
                $"{at}:Collection is required for the {policy.Strategy} strategy "
                    + "(only Ttl namespaces may be a pure cache).");
        }

        if (policy.Collection is { } collection
            && (!CollectionNamePattern().IsMatch(collection)
                || collection.StartsWith("system.", StringComparison.Ordinal)))
        {
            failures.Add($"{at}:Collection '{collection}' is not a valid collection name "
                + "(letters, digits, '_', '.', '-'; not 'system.*').");
        }

        CheckRules(options, at, failures);
        if (policy.OnCacheUnreachable == CacheUnreachableBehavior.Fail
            && policy.Strategy is not (CacheStrategy.CacheAside or CacheStrategy.WriteThrough))
        {
            failures.Add($"{at}:OnCacheUnreachable Fail applies to CacheAside and WriteThrough only "
                + "(WriteBehind has OnCacheDown and OnCacheDownRead).");
        }

        if (policy.Ttl > policy.MaxTtl)
        {
            failures.Add($"{at}:Ttl ({policy.Ttl}) must not exceed MaxTtl ({policy.MaxTtl}).");
        }

        if (policy.Strategy == CacheStrategy.WriteBehind)
        {
            var wb = policy.WriteBehind;
            CheckRules(wb, $"{at}:WriteBehind", failures);
            if (wb.RetryBaseDelay > wb.RetryMaxDelay)
            {
                failures.Add($"{at}:WriteBehind:RetryBaseDelay ({wb.RetryBaseDelay}) must not exceed "
                    + $"RetryMaxDelay ({wb.RetryMaxDelay}).");
            }
        }

        if (policy.NearCache.Enabled)
        {
            CheckRules(policy.NearCache, $"{at}:NearCache", failures);
        }
    }

    /// <summary>A change-stream watcher needs a MongoDB to follow and a Redis to hold its lease in.</summary>
    private static void ValidateChangeStream(SidecarOptions options, string nsName, NamespaceOptions ns,
        List<string> failures)
    {
        if (ns.Invalidation != InvalidationMode.ChangeStream)
        {
            return;
        }

        var at = $"Sidecar:Namespaces:{nsName}";
        if (ns.Collection is null)
        {
            failures.Add($"{at}:Invalidation ChangeStream needs a Collection to follow.");
        }

        if (string.IsNullOrWhiteSpace(options.Mongo.ConnectionString)
            || string.IsNullOrWhiteSpace(options.Redis.Configuration))
        {
            failures.Add($"{at}:Invalidation ChangeStream needs MongoDB (Sidecar:Mongo:ConnectionString) and "
                + "Redis (Sidecar:Redis:Configuration); the embedded store has no change stream.");
        }

        CheckRules(ns.ChangeStream, $"{at}:ChangeStream", failures);
    }

    /// <summary>
    /// Checks every <see cref="SettingRuleAttribute"/> declared on <paramref name="options"/>' properties.
    /// The declared type, not <c>GetType()</c>: its public properties are what the annotation keeps through
    /// trimming and Native AOT, and the rules are declared on it (a derived <see cref="NamespacePolicy"/>
    /// adds no rule).
    /// </summary>
    private static void CheckRules<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(
        T options, string at, List<string> failures)
    {
        foreach (var property in typeof(T).GetProperties())
        {
            foreach (var rule in property.GetCustomAttributes(typeof(SettingRuleAttribute), inherit: true))
            {
                if (((SettingRuleAttribute)rule).Check(property.GetValue(options)) is { } reason)
                {
                    failures.Add($"{at}:{property.Name} {reason}");
                }
            }
        }
    }
}
