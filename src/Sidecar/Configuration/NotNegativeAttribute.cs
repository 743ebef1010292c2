using System.Globalization;

namespace CacheSidecar.Configuration;

/// <summary>A TimeSpan that must not be below zero.</summary>
public sealed class NotNegativeAttribute : SettingRuleAttribute
{
    public override string? Check(object? value) =>
        value is TimeSpan t && t < TimeSpan.Zero ? $"must not be negative (was {t})." : null;
}
