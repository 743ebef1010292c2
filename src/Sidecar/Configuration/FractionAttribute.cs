using System.Globalization;

namespace CacheSidecar.Configuration;

/// <summary>A ratio in (0, 1].</summary>
public sealed class FractionAttribute : SettingRuleAttribute
{
    public override string? Check(object? value) =>
        value is double d && !(d > 0 && d <= 1) ? $"must be greater than 0 and at most 1 (was {d})." : null;
}
