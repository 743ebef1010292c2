using System.Globalization;

namespace CacheSidecar.Configuration;

/// <summary>A number within [min, max]: upper bounds keep a typo from turning into an outage.</summary>
public sealed class BetweenAttribute(long min, long max) : SettingRuleAttribute
{
    public override string? Check(object? value)
    {
        var number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
        return number < min || number > max ? $"must be between {min} and {max} (was {number})." : null;
    }
}
