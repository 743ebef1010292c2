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
