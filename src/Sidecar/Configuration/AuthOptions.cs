namespace CacheSidecar.Configuration;

public sealed class AuthOptions
{
    /// <summary>The bearer token callers must send. Prefer <see cref="TokenFile"/> (a mounted Secret).</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the bearer token (trailing whitespace ignored).</summary>
    public string? TokenFile { get; set; }
}
