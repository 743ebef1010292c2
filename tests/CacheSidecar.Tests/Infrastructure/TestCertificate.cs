using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>
/// A self-signed server certificate for 127.0.0.1, written as PEM files the way a Kubernetes TLS
/// Secret mounts them (tls.crt, tls.key), and a client handler that trusts exactly this certificate.
/// </summary>
internal sealed class TestCertificate : IDisposable
{
    private readonly DirectoryInfo _directory;

    private TestCertificate(X509Certificate2 certificate, DirectoryInfo directory)
    {
        Certificate = certificate;
        _directory = directory;
    }

    public X509Certificate2 Certificate { get; }

    public string CertificatePath => Path.Combine(_directory.FullName, "tls.crt");

    public string KeyPath => Path.Combine(_directory.FullName, "tls.key");

    public static TestCertificate Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=cachesidecar-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server authentication
        var now = DateTimeOffset.UtcNow;
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        var directory = Directory.CreateTempSubdirectory("cachesidecar-tls-");
        var created = new TestCertificate(certificate, directory);
        File.WriteAllText(created.CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(created.KeyPath, key.ExportPkcs8PrivateKeyPem());
        return created;
    }

    /// <summary>Accepts the server only if it presents this certificate for the name dialled (127.0.0.1):
    /// the certificate is the only trust anchor, not the machine's store, and nothing is waived.</summary>
    public SocketsHttpHandler TrustingHandler() => new()
    {
        SslOptions =
        {
            RemoteCertificateValidationCallback = (_, presented, _, errors) =>
            {
                // The chain error is expected (the machine does not trust our root); a name mismatch is not.
                if (presented is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(Certificate);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var leaf = new X509Certificate2(presented);
                return chain.Build(leaf);
            },
        },
    };

    public void Dispose()
    {
        Certificate.Dispose();
        _directory.Delete(recursive: true);
    }
}
