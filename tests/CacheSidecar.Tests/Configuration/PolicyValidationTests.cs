using CacheSidecar.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Tests.Configuration;

/// <summary>DESIGN §3: a bad policy refuses to start with a message naming the namespace and the field.</summary>
public sealed class PolicyValidationTests
{
    public static TheoryData<string, string, string> BadPolicies() => new()
    {
        { "Ttl", "-00:01:00", "Sidecar:Namespaces:broken:Ttl must be positive" },
        { "Ttl", "00:00:00", "Sidecar:Namespaces:broken:Ttl must be positive" },
        { "TtlJitter", "-00:00:01", "Sidecar:Namespaces:broken:TtlJitter must not be negative" },
        { "NegativeTtl", "-00:00:01", "Sidecar:Namespaces:broken:NegativeTtl must not be negative" },
        { "MaxKeyBytes", "0", "Sidecar:Namespaces:broken:MaxKeyBytes must be between" },
        { "MaxValueBytes", "999999999", "Sidecar:Namespaces:broken:MaxValueBytes must be between" },
        { "Partitions", "0", "Sidecar:Namespaces:broken:Partitions must be between" },
        { "Collection", "system.users", "Sidecar:Namespaces:broken:Collection 'system.users' is not a valid collection name" },
        { "Collection", "", "Sidecar:Namespaces:broken:Collection is required for the CacheAside strategy" },
    };

    public static TheoryData<string, string, string> BadWriteBehindPolicies() => new()
    {
        { "BatchSize", "0", "Sidecar:Namespaces:broken:WriteBehind:BatchSize must be between 1 and 10000" },
        { "MaxBacklog", "0", "Sidecar:Namespaces:broken:WriteBehind:MaxBacklog must be at least 1" },
        { "MaxAttempts", "0", "Sidecar:Namespaces:broken:WriteBehind:MaxAttempts must be between" },
        { "FlushInterval", "00:00:00", "Sidecar:Namespaces:broken:WriteBehind:FlushInterval must be positive" },
        { "ReclaimAfter", "-00:00:01", "Sidecar:Namespaces:broken:WriteBehind:ReclaimAfter must be positive" },
        { "WaitForReplicas", "-1", "Sidecar:Namespaces:broken:WriteBehind:WaitForReplicas must be between" },
        { "RetryBaseDelay", "00:01:00", "Sidecar:Namespaces:broken:WriteBehind:RetryBaseDelay (00:01:00) must not exceed RetryMaxDelay" },
    };

    [Theory]
    [MemberData(nameof(BadWriteBehindPolicies))]
    public void A_bad_write_behind_setting_refuses_to_start_naming_the_namespace_and_field(string field, string value, string expectedMessage)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(settings =>
        {
            settings["Sidecar:Namespaces:broken:Strategy"] = "WriteBehind";
            settings["Sidecar:Namespaces:broken:Collection"] = "broken_items";
            settings[$"Sidecar:Namespaces:broken:WriteBehind:{field}"] = value;
        }));

        Assert.Contains(error.Failures, failure => failure.StartsWith(expectedMessage, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("WriteBehind")]
    [InlineData("Ttl")]
    public void Failing_while_the_cache_is_unreachable_is_refused_where_it_does_not_apply(string strategy)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(settings =>
        {
            settings["Sidecar:Namespaces:broken:Strategy"] = strategy;
            settings["Sidecar:Namespaces:broken:Collection"] = "broken_items";
            settings["Sidecar:Namespaces:broken:OnCacheUnreachable"] = "Fail";
        }));

        Assert.Contains(error.Failures, failure => failure.StartsWith(
            "Sidecar:Namespaces:broken:OnCacheUnreachable Fail applies to CacheAside and WriteThrough only",
            StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string> BadNearCachePolicies() => new()
    {
        { "MaxEntries", "0", "Sidecar:Namespaces:broken:NearCache:MaxEntries must be between 1 and 10000000" },
        { "MaxBytes", "100", "Sidecar:Namespaces:broken:NearCache:MaxBytes must be between 1024 and" },
        { "Ttl", "00:00:00", "Sidecar:Namespaces:broken:NearCache:Ttl must be positive" },
        { "ResyncInterval", "00:00:00.001", "Sidecar:Namespaces:broken:NearCache:ResyncInterval must be at least 00:00:00.0100000" },
    };

    [Theory]
    [MemberData(nameof(BadNearCachePolicies))]
    public void A_bad_near_cache_setting_refuses_to_start_naming_the_namespace_and_field(string field, string value, string expectedMessage)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(settings =>
        {
            settings["Sidecar:Namespaces:broken:Collection"] = "broken_items";
            settings["Sidecar:Namespaces:broken:NearCache:Enabled"] = "true";
            settings[$"Sidecar:Namespaces:broken:NearCache:{field}"] = value;
        }));

        Assert.Contains(error.Failures, failure => failure.StartsWith(expectedMessage, StringComparison.Ordinal));
    }

    [Fact]
    public void The_near_cache_is_off_unless_enabled_and_has_the_documented_defaults()
    {
        var policy = CacheSidecar.Configuration.NamespacePolicy.From("n", new CacheSidecar.Configuration.NamespaceOptions { Collection = "c" });

        Assert.False(policy.NearCache.Enabled);
        Assert.Equal(10_000, policy.NearCache.MaxEntries);
        Assert.Equal(32L * 1024 * 1024, policy.NearCache.MaxBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), policy.NearCache.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(1), policy.NearCache.ResyncInterval);
    }

    [Theory]
    [InlineData("CircuitFailureRatio", "0", "Sidecar:Redis:CircuitFailureRatio must be greater than 0 and at most 1")]
    [InlineData("CircuitFailureRatio", "1.5", "Sidecar:Redis:CircuitFailureRatio must be greater than 0 and at most 1")]
    [InlineData("CircuitMinimumThroughput", "1", "Sidecar:Redis:CircuitMinimumThroughput must be between 2 and")]
    [InlineData("CircuitSamplingDuration", "00:00:00.100", "Sidecar:Redis:CircuitSamplingDuration must be at least")]
    [InlineData("CircuitBreakDuration", "00:00:00.100", "Sidecar:Redis:CircuitBreakDuration must be at least")]
    public void A_circuit_breaker_threshold_polly_would_reject_refuses_to_start_naming_the_field(
        string field, string value, string expectedMessage)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(settings =>
            settings[$"Sidecar:Redis:{field}"] = value));

        Assert.Contains(error.Failures, failure => failure.StartsWith(expectedMessage, StringComparison.Ordinal));
    }

    [Fact]
    public void A_redis_key_prefix_that_could_break_the_key_layout_is_refused()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(settings => settings["Sidecar:Redis:KeyPrefix"] = "a:{b}"));

        Assert.Contains(error.Failures, failure => failure.StartsWith("Sidecar:Redis:KeyPrefix must be 1-32 characters", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Strategy", "CacheBeside", "Failed to convert configuration value 'CacheBeside' at 'Sidecar:Namespaces:broken:Strategy'")]
    [InlineData("Ttl", "ten minutes", "at 'Sidecar:Namespaces:broken:Ttl'")]
    [InlineData("Stratgy", "CacheAside", "'Stratgy'")]
    public void A_value_that_does_not_convert_or_a_misspelt_key_refuses_to_start_instead_of_dropping_the_namespace(string field, string value, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Resolve(settings =>
        {
            settings["Sidecar:Namespaces:broken:Collection"] = "broken_items";
            settings[$"Sidecar:Namespaces:broken:{field}"] = value;
        }));

        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        Assert.Contains(messages, message => message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_write_behind_namespace_needs_a_collection()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(settings =>
            settings["Sidecar:Namespaces:broken:Strategy"] = "WriteBehind"));

        Assert.Contains(error.Failures, failure => failure.StartsWith("Sidecar:Namespaces:broken:Collection is required for the WriteBehind strategy", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(BadPolicies))]
    public void A_bad_policy_refuses_to_start_naming_the_namespace_and_field(string field, string value, string expectedMessage)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(settings =>
        {
            settings["Sidecar:Namespaces:broken:Strategy"] = "CacheAside";
            settings["Sidecar:Namespaces:broken:Collection"] = "broken_items";
            settings[$"Sidecar:Namespaces:broken:{field}"] = value;
        }));

        Assert.Contains(error.Failures, failure => failure.StartsWith(expectedMessage, StringComparison.Ordinal));
    }

    [Fact]
    public void A_ttl_above_max_ttl_is_refused()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(settings =>
        {
            settings["Sidecar:Namespaces:broken:Collection"] = "broken_items";
            settings["Sidecar:Namespaces:broken:Ttl"] = "02:00:00";
            settings["Sidecar:Namespaces:broken:MaxTtl"] = "01:00:00";
        }));

        Assert.Contains(error.Failures, failure => failure.Contains("Sidecar:Namespaces:broken:Ttl (02:00:00) must not exceed MaxTtl", StringComparison.Ordinal));
    }

    [Fact]
    public void A_namespace_name_that_cannot_be_a_redis_hash_tag_is_refused()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(settings =>
            settings["Sidecar:Namespaces:bad{name}:Ttl"] = "00:01:00"));

        Assert.Contains(error.Failures, failure => failure.StartsWith("Sidecar:Namespaces:bad{name}: the namespace name", StringComparison.Ordinal));
    }

    /// <summary>Binds and validates the sidecar's options exactly as start-up does (ValidateOnStart runs the same validator).</summary>
    private static CacheSidecar.Configuration.SidecarOptions Resolve(Action<Dictionary<string, string?>> configure)
    {
        var settings = new Dictionary<string, string?>();
        configure(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddCacheSidecar(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<CacheSidecar.Configuration.SidecarOptions>>().Value;
    }

    [Fact]
    public void Unset_fields_take_the_documented_defaults()
    {
        var policy = CacheSidecar.Configuration.NamespacePolicy.From("n", new CacheSidecar.Configuration.NamespaceOptions { Collection = "c" });

        Assert.Equal(CacheSidecar.Configuration.CacheStrategy.CacheAside, policy.Strategy);
        Assert.Equal(TimeSpan.FromMinutes(10), policy.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(30), policy.NegativeTtl);
        Assert.Equal(512, policy.MaxKeyBytes);
        Assert.Equal(1024 * 1024, policy.MaxValueBytes);
        Assert.Equal(16, policy.Partitions);
    }
}
