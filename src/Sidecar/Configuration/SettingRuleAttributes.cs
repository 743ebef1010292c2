using System.Globalization;

namespace CacheSidecar.Configuration;

/// <summary>
/// A rule on one setting, declared on its property and checked by <see cref="SidecarOptionsValidator"/>
/// (at start-up and on every hot reload). The message names the setting's configuration path.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public abstract class SettingRuleAttribute : Attribute
{
    /// <summary>Null when <paramref name="value"/> satisfies the rule, else why not (after the path).</summary>
    public abstract string? Check(object? value);
}

/// <summary>A TimeSpan that must be greater than zero.</summary>
public sealed class PositiveAttribute : SettingRuleAttribute
{
    public override string? Check(object? value) =>
        value is TimeSpan t && t <= TimeSpan.Zero ? $"must be positive (was {t})." : null;
}

/// <summary>A TimeSpan that must not be below zero.</summary>
public sealed class NotNegativeAttribute : SettingRuleAttribute
{
    public override string? Check(object? value) =>
        value is TimeSpan t && t < TimeSpan.Zero ? $"must not be negative (was {t})." : null;
}

/// <summary>A number within [min, max]: upper bounds keep a typo from turning into an outage.</summary>
public sealed class BetweenAttribute(long min, long max) : SettingRuleAttribute
{
    public override string? Check(object? value)
    {
        var number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
        return number < min || number > max ? $"must be between {min} and {max} (was {number})." : null;
    }
}

/// <summary>A number, or a TimeSpan given as text (attributes cannot hold one), that must be at least the minimum.</summary>
public sealed class AtLeastAttribute : SettingRuleAttribute
{
    private readonly long? _number;
    private readonly TimeSpan? _duration;

    public AtLeastAttribute(long minimum) => _number = minimum;

    public AtLeastAttribute(string minimumDuration) =>
        _duration = TimeSpan.Parse(minimumDuration, CultureInfo.InvariantCulture);

    public override string? Check(object? value) => value switch
    {
        TimeSpan t when _duration is { } min && t < min => $"must be at least {min} (was {t}).",
        long or int when _number is { } min && Convert.ToInt64(value, CultureInfo.InvariantCulture) < min =>
            $"must be at least {min} (was {value}).",
        _ => null,
    };
}

/// <summary>A ratio in (0, 1].</summary>
public sealed class FractionAttribute : SettingRuleAttribute
{
    public override string? Check(object? value) =>
        value is double d && !(d > 0 && d <= 1) ? $"must be greater than 0 and at most 1 (was {d})." : null;
}

/// <summary>
/// A setting that decides where data lives or what starts with the sidecar: a hot reload that
/// changes it is refused whole (<see cref="NamespaceRegistry"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiresRestartAttribute : Attribute;
