using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.Uds;

/// <summary>One row of the <c>uds</c> command: a call, the transport it goes over, and how it is loaded.</summary>
/// <param name="Call">The call's label, shared by its TCP and Unix-socket rows (e.g. "Get hit").</param>
/// <param name="Transport">TCP or the Unix socket.</param>
/// <param name="FixedRate">True: open loop at <see cref="UdsBenchmark.Rate"/> req/s; false: closed loop, saturation.</param>
/// <param name="Operation">One call; false (or a throw) when the answer is not the expected one.</param>
internal sealed record UdsScenario(string Call, UdsTransport Transport, bool FixedRate, Operation Operation)
{
    public const string GetHit = "Get hit";
    public const string ListNamespaces = "ListNamespaces";

    public string TransportLabel => Label(Transport);

    public string Name => FixedRate
        ? $"{Call} at {UdsBenchmark.Rate:N0} req/s over {TransportLabel}"
        : $"{Call} over {TransportLabel}";

    public static string Label(UdsTransport transport) => transport == UdsTransport.Tcp ? "TCP" : "UDS";
}
