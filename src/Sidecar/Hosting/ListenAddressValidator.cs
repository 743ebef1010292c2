using CacheSidecar.Configuration;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Hosting;

/// <summary>
/// Refuses to start when the sidecar would listen beyond loopback and
/// <c>Sidecar:Security:AllowNonLoopbackBinding</c> is not set: a sidecar serves its own pod, and
/// binding wider should be a decision, not an accident. Runs with the other option validators,
/// before Kestrel binds, so the port is never opened.
/// </summary>
internal sealed class ListenAddressValidator(IConfiguration configuration) : IValidateOptions<SidecarOptions>
{
    public ValidateOptionsResult Validate(string? name, SidecarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Security.AllowNonLoopbackBinding)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = ListenAddresses.NonLoopback(configuration)
            .Select(address => $"{address.Source} '{address.Url}' listens beyond loopback. "
                + $"Set {ListenAddresses.AllowOption}=true to allow it "
                + "(and protect the port with Sidecar:Auth and TLS).")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
