using System.Globalization;

namespace CacheSidecar.Configuration;

/// <summary>
/// A setting that decides where data lives or what starts with the sidecar: a hot reload that
/// changes it is refused whole (<see cref="NamespaceRegistry"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiresRestartAttribute : Attribute;
