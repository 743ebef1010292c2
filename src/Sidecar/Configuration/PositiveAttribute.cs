using System.Globalization;

namespace CacheSidecar.Configuration;

/// <summary>A TimeSpan that must be greater than zero.</summary>
public sealed class PositiveAttribute : SettingRuleAttribute
{
    public override string? Check(object? value) =>
        value is TimeSpan t && t <= TimeSpan.Zero ? $"must be positive (was {t})." : null;
}
