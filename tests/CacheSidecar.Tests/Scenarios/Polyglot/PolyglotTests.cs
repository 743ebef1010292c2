using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Tests.Infrastructure;

namespace CacheSidecar.Tests.Scenarios.Polyglot;

/// <summary>
/// The contract from other languages: clients in Node.js (tests/polyglot/node) and Python
/// (tests/polyglot/python) that know nothing but protos/ run every RPC and every error status of
/// the contract against two real sidecar processes — one serving (real Redis, a MongoDB wire test
/// server, a bearer token), one whose Redis and store are unreachable. Each client prints one line
/// per check and exits non-zero on the first failure; a run with a wrong token shows that they do.
/// </summary>
public sealed partial class PolyglotTests(RedisSingleFixture redis)
{
    private static readonly TimeSpan StartTimeout = TestSidecar.ServeTimeout;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromMinutes(2); // a client takes ~10 s

    /// <summary>Words each client's check names must contain: every RPC, health and every status of the contract.
    /// A check dropped from a client fails here, not silently.</summary>
    private static readonly string[] Covered =
    [
        "health", "ListNamespaces", "Get", "BatchGet", "Put", "Delete", "Invalidate", "Touch", "BatchPut", "Increment", "if_none_match", "InvalidateTags", "WatchInvalidations",
        "whole namespace", "INVALID_ARGUMENT", "OUT_OF_RANGE", "NOT_FOUND", "FAILED_PRECONDITION", "RESOURCE_EXHAUSTED", "UNAVAILABLE", "UNAUTHENTICATED", "DEADLINE_EXCEEDED",
    ];

    private static readonly string Repository = FindRepository();

    [Fact]
    public async Task The_node_client_runs_every_rpc_and_every_status_of_the_contract()
    {
        var nodeDirectory = Path.Combine(Repository, "tests", "polyglot", "node");
        Assert.True(
            Directory.Exists(Path.Combine(nodeDirectory, "node_modules", "@grpc", "grpc-js")),
            "tests/polyglot/node has no node_modules: run `npm ci --prefix tests/polyglot/node` (scripts/test.sh does).");
        await using var sidecars = await Sidecars.StartAsync(redis.Configuration);

        Task<ClientRun> Run(string token) => ClientProcess.RunAsync(
            "node",
            [Path.Combine(nodeDirectory, "client.mjs"), "--serving", sidecars.Serving, "--unavailable", sidecars.Unavailable],
            ClientTimeout,
            new Dictionary<string, string> { ["CACHESIDECAR_TOKEN"] = token },
            nodeDirectory);

        AssertEveryCheckPassed(await Run(sidecars.Token));
        AssertTheClientCanFail(await Run(sidecars.Token + "-wrong"));
    }

    [Fact]
    public async Task The_python_client_on_protoc_generated_stubs_runs_every_rpc_and_every_status_of_the_contract()
    {
        var stubs = Directory.CreateTempSubdirectory("cachesidecar-polyglot-python-");
        try
        {
            // The stubs come from the contract at test time, exactly as the README tells a Python caller.
            // google/api is generated too: Debian's python3-protobuf lacks the google.api modules cache_pb2 imports.
            var protoc = await ClientProcess.RunAsync(
                "protoc",
                [
                    "-I", "protos", $"--python_out={stubs.FullName}", $"--grpc_out={stubs.FullName}",
                    "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin",
                    "protos/cachesidecar/v1/cache.proto", "protos/google/api/annotations.proto", "protos/google/api/http.proto",
                ],
                TimeSpan.FromSeconds(60),
                workingDirectory: Repository);
            Assert.True(protoc is { ExitCode: 0, TimedOut: false }, protoc.ToString());
            Assert.True(File.Exists(Path.Combine(stubs.FullName, "cachesidecar", "v1", "cache_pb2_grpc.py")), $"protoc generated no gRPC stub: {protoc}");

            await using var sidecars = await Sidecars.StartAsync(redis.Configuration);

            // Debian's interpreter, which has python3-grpcio and python3-protobuf (not a pyenv one on PATH).
            Task<ClientRun> Run(string token) => ClientProcess.RunAsync(
                "/usr/bin/python3",
                [Path.Combine(Repository, "tests", "polyglot", "python", "client.py"), "--serving", sidecars.Serving, "--unavailable", sidecars.Unavailable],
                ClientTimeout,
                new Dictionary<string, string>
                {
                    ["CACHESIDECAR_TOKEN"] = token,
                    ["PYTHONPATH"] = stubs.FullName,
                    ["PYTHONDONTWRITEBYTECODE"] = "1", // leave no __pycache__ behind
                },
                Repository);

            AssertEveryCheckPassed(await Run(sidecars.Token));
            AssertTheClientCanFail(await Run(sidecars.Token + "-wrong"));
        }
        finally
        {
            stubs.Delete(recursive: true);
        }
    }

    private static void AssertEveryCheckPassed(ClientRun run)
    {
        Assert.True(run is { ExitCode: 0, TimedOut: false }, run.ToString());
        // Exit code 0 alone could be a client that stopped early: it must say it ran every check.
        var passed = CheckLine().Matches(run.Output).Select(m => m.Groups["name"].Value).ToList();
        var summary = AllPassedLine().Match(run.Output);
        Assert.True(summary.Success, $"the client did not report that all its checks passed; {run}");
        Assert.True(
            int.Parse(summary.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture) == passed.Count,
            $"the client's count does not match its {passed.Count} \"ok\" lines; {run}");
        foreach (var word in Covered)
        {
            Assert.True(passed.Any(name => name.Contains(word, StringComparison.Ordinal)), $"no passed check covers {word}; {run}");
        }
    }

    /// <summary>The same client with a wrong token must fail (UNAUTHENTICATED at its first authenticated
    /// call), exit non-zero and say which check failed: a broken expectation cannot pass unseen.</summary>
    private static void AssertTheClientCanFail(ClientRun run)
    {
        Assert.False(run.TimedOut, run.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("FAIL - ListNamespaces", run.Output, StringComparison.Ordinal);
        Assert.Contains("UNAUTHENTICATED", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("checks passed", run.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^ok \d+ - (?<name>.+)$", RegexOptions.Multiline)]
    private static partial Regex CheckLine();

    [GeneratedRegex(@"^all (?<count>\d+) checks passed$", RegexOptions.Multiline)]
    private static partial Regex AllPassedLine();

    private static string FindRepository()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CacheSidecar.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    /// <summary>
    /// The two sidecar processes the clients talk to, both on the default namespaces of
    /// src/Sidecar/appsettings.json and the same random bearer token. Disposing kills them (by
    /// PID) and stops the store.
    /// </summary>
    private sealed class Sidecars : IAsyncDisposable
    {
        private readonly MongoTestTarget _store;
        private readonly SidecarProcess _serving;
        private readonly SidecarProcess _unavailable;

        private readonly DirectoryInfo _sockets;

        private Sidecars(MongoTestTarget store, SidecarProcess serving, SidecarProcess unavailable, string token, DirectoryInfo sockets)
        {
            _sockets = sockets;
            _store = store;
            _serving = serving;
            _unavailable = unavailable;
            Token = token;
        }

        public string Token { get; }

        /// <summary>
        /// The sidecar with a reachable Redis and store, on its Unix domain socket (<c>unix:/path</c>, as gRPC
        /// clients in every language spell it), so each client proves it can use one (DESIGN §12).
        /// </summary>
        public string Serving => $"unix:{SocketPath(_sockets)}";

        private static string SocketPath(DirectoryInfo sockets) => Path.Combine(sockets.FullName, "grpc.sock");

        /// <summary>host:port of the sidecar whose Redis and store are both unreachable.</summary>
        public string Unavailable => _unavailable.Address.Authority;

        public static async Task<Sidecars> StartAsync(string redisConfiguration)
        {
            var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            var store = await MongoTestEndpoint.AcquireWireServerAsync();
            var sockets = Directory.CreateTempSubdirectory("cs-poly-");
            var serving = TestSidecar.Start(new Dictionary<string, string?>
            {
                ["Kestrel__Endpoints__GrpcUnix__Url"] = $"http://unix:{SocketPath(sockets)}",
                ["Kestrel__Endpoints__GrpcUnix__Protocols"] = "Http2",
                ["Sidecar__Redis__Configuration"] = redisConfiguration,
                // Its own key space on the shared Redis: the clients invalidate whole namespaces,
                // which must not touch the keys of tests running in parallel.
                ["Sidecar__Redis__KeyPrefix"] = $"poly{Guid.NewGuid():N}"[..16],
                ["Sidecar__Mongo__ConnectionString"] = store.ConnectionString,
                ["Sidecar__Mongo__Database"] = "polyglot",
                ["Sidecar__Mongo__ServerSelectionTimeout"] = "00:00:02",
                ["Sidecar__Auth__Token"] = token,
                ["Sidecar__Namespaces__sessions__PublishInvalidations"] = "true", // watched by the clients
            });
            var unavailable = TestSidecar.Start(new Dictionary<string, string?>
            {
                ["Sidecar__Redis__Configuration"] = $"127.0.0.1:{UnusedPort()}",
                ["Sidecar__Mongo__ConnectionString"] = $"mongodb://127.0.0.1:{UnusedPort()}",
                ["Sidecar__Mongo__Database"] = "polyglot",
                // Each store call fails UNAVAILABLE after this long (and outlasts a 1 ms deadline).
                ["Sidecar__Mongo__ServerSelectionTimeout"] = "00:00:02",
                ["Sidecar__Auth__Token"] = token,
            });
            var sidecars = new Sidecars(store, serving, unavailable, token, sockets);
            try
            {
                // The unavailable one never reports SERVING: that it answers health at all is enough.
                await Task.WhenAll(serving.WaitUntilServingAsync(StartTimeout), unavailable.WaitUntilServingAsync(StartTimeout, anyStatus: true));
                return sidecars;
            }
            catch
            {
                await sidecars.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _serving.DisposeAsync();
            await _unavailable.DisposeAsync();
            await _store.DisposeAsync();
            _sockets.Delete(recursive: true);
        }

        /// <summary>A loopback port nobody listens on (bound once by us, then released).</summary>
        private static int UnusedPort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
