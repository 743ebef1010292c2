namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// The checker's fault runs time their faults and measure staleness in real time, so they run alone, after
/// the parallel tests: sixteen clients of another test competing for two cores would blur what they measure.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class FaultRunsCollection;
