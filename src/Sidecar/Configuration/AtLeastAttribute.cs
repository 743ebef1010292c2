using System.Globalization;

namespace CacheSidecar.Configuration;

/// <summary>
/// A number, or a TimeSpan given as text (attributes cannot hold one), that must be at least the minimum.
/// </summary>
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
