using System.Reflection;
using CacheSidecar.Configuration;

namespace CacheSidecar.Tests.Deployment;

/// <summary>
/// Maps a configuration key (<c>Sidecar__Namespaces__users__Ttl</c>) onto <see cref="SidecarOptions"/>
/// by reflection, as the binder would.
/// </summary>
internal static class OptionPath
{
    /// <summary>Null when the key binds to a settable scalar option; otherwise why it does not.</summary>
    public static string? Explain(string key)
    {
        var segments = key.Split("__");
        if (!segments[0].Equals(SidecarOptions.SectionName, StringComparison.OrdinalIgnoreCase))
        {
            return $"it is not under the {SidecarOptions.SectionName} section";
        }

        var type = typeof(SidecarOptions);
        foreach (var segment in segments.Skip(1))
        {
            if (segment.Length == 0)
            {
                return "it has an empty segment";
            }

            if (IsScalar(type))
            {
                return $"'{segment}' follows a single value of type {type.Name}";
            }

            // Dictionary<string, T> (Namespaces): any segment is a key.
            var dictionary = type.GetInterfaces().Append(type)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>)
                    && i.GetGenericArguments()[0] == typeof(string));
            if (dictionary is not null)
            {
                type = dictionary.GetGenericArguments()[1];
                continue;
            }

            // Configuration keys are case-insensitive, as the binder matches them.
            var property = type.GetProperty(
                segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                var known = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                    .Select(p => p.Name).Order(StringComparer.Ordinal);
                return $"{type.Name} has no property '{segment}' (it has {string.Join(", ", known)})";
            }

            type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsScalar(type) && property.SetMethod?.IsPublic != true)
            {
                return $"{property.DeclaringType!.Name}.{property.Name} cannot be set";
            }
        }

        return IsScalar(type) ? null : $"it names a whole {type.Name}, not one setting";
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(Uri);
}
