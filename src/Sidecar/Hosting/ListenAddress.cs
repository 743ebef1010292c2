using System.Net;

namespace CacheSidecar.Hosting;

/// <summary>One address Kestrel is configured to listen on, and the configuration key it came from.</summary>
internal sealed record ListenAddress(string Source, string Url)
{
    /// <summary>
    /// True when only this host can connect: a loopback IP, <c>localhost</c>, or a Unix socket /
    /// named pipe. <c>0.0.0.0</c>, <c>*</c>, <c>+</c>, <c>[::]</c>, any other IP and any other host
    /// name (Kestrel binds those to every interface) are not.
    /// </summary>
    public bool IsLoopback
    {
        get
        {
            var schemeEnd = Url.IndexOf("://", StringComparison.Ordinal);
            var rest = schemeEnd >= 0 ? Url[(schemeEnd + 3)..] : Url;
            if (rest.StartsWith("unix:", StringComparison.OrdinalIgnoreCase)
                || rest.StartsWith("pipe:", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            var hostEnd = rest.StartsWith('[') ? rest.IndexOf(']') + 1 : rest.IndexOfAny([':', '/']);
            var host = (hostEnd > 0 ? rest[..hostEnd] : rest).Trim('[', ']');
            return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
        }
    }
}
