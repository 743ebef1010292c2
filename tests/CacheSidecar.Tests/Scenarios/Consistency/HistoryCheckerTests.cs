using System.Diagnostics;

namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// <see cref="HistoryChecker"/> on small hand-written histories: the freshness rule flags exactly the reads that
/// missed a write finished before they began (never one a concurrent write or a possible Delete explains), and
/// failed calls are violations in steady state but only possibilities under a fault. Times are in milliseconds.
/// </summary>
public sealed class HistoryCheckerTests
{
    private const string Key = "k";
    private static readonly Dictionary<string, FinalState> NoFinal = [];

    [Fact]
    public void A_read_overlapping_a_put_may_return_the_older_version()
    {
        var result = Check(Put(1, 0, 10, v: 100), Put(2, 20, 40, v: 200), Get(3, 30, 50, v: 100));

        Assert.Empty(result.StaleReads);
        Assert.Empty(result.Violations);
    }

    [Fact]
    public void A_read_that_began_after_a_put_finished_and_returned_an_older_version_is_stale_by_the_gap()
    {
        var result = Check(Put(1, 0, 10, v: 100), Put(2, 20, 40, v: 200), Get(3, 65, 70, v: 100));

        var stale = Assert.Single(result.StaleReads);
        Assert.Equal(200, stale.Missed.Version);
        Assert.Equal(TimeSpan.FromMilliseconds(25), stale.Staleness);
        Assert.Equal(CheckRule.Freshness, Assert.Single(result.Violations).Rule);
    }

    [Fact]
    public void Staleness_counts_from_the_earliest_missed_write()
    {
        var result = Check(Put(1, 0, 10, v: 100), Put(2, 20, 30, v: 200), Put(3, 40, 50, v: 300),
            Get(4, 100, 110, v: 100));

        Assert.Equal(TimeSpan.FromMilliseconds(70), Assert.Single(result.StaleReads).Staleness);
    }

    [Fact]
    public void Staleness_within_the_allowance_is_measured_but_no_violation()
    {
        var history = new[] { Put(1, 0, 10, v: 100), Put(2, 20, 40, v: 200), Get(3, 65, 70, v: 100) };

        var result = HistoryChecker.Check(history, NoFinal, TimeSpan.FromMilliseconds(25));

        Assert.Single(result.StaleReads);
        Assert.Equal(TimeSpan.FromMilliseconds(25), result.MaxStaleness);
        Assert.Empty(result.Violations);
    }

    [Fact]
    public void Not_found_after_a_finished_put_is_explained_by_a_delete_that_could_have_come_after_it()
    {
        // The Delete overlaps the Put, so it may have landed after it; the read began after both.
        var result = Check(Put(1, 0, 20, v: 100), Delete(2, 10, 30), Get(3, 40, 50));

        Assert.Empty(result.StaleReads);
        Assert.Empty(result.Violations);
    }

    [Fact]
    public void Not_found_after_a_finished_put_is_explained_by_a_delete_overlapping_the_read()
    {
        var result = Check(Put(1, 0, 10, v: 100), Get(3, 40, 60), Delete(2, 50, 70));

        Assert.Empty(result.StaleReads);
    }

    [Fact]
    public void Not_found_after_a_finished_put_is_stale_when_every_delete_ended_before_the_put_or_began_after_the_read()
    {
        var result = Check(Delete(1, 0, 5), Put(2, 10, 20, v: 100), Get(3, 30, 40), Delete(4, 50, 60));

        var stale = Assert.Single(result.StaleReads);
        Assert.Equal(100, stale.Missed.Version);
        Assert.Equal(TimeSpan.FromMilliseconds(10), stale.Staleness);
    }

    [Fact]
    public void A_value_read_after_a_delete_finished_is_stale_only_if_its_put_had_finished_before_the_delete_began()
    {
        var deletedBefore = Check(Put(1, 0, 10, v: 100), Delete(2, 20, 30), Get(3, 40, 50, v: 100));
        var maybeAfter = Check(Put(1, 0, 25, v: 100), Delete(2, 20, 30), Get(3, 40, 50, v: 100));

        Assert.Equal(OpKind.Delete, Assert.Single(deletedBefore.StaleReads).Missed.Kind);
        Assert.Empty(maybeAfter.StaleReads);
        Assert.Empty(maybeAfter.Violations);
    }

    [Fact]
    public void A_failed_call_is_a_violation_in_steady_state_and_not_under_a_fault()
    {
        var history = new[] { Put(1, 0, 10, v: 100), Failed(Get(2, 20, 30)) };

        Assert.Equal(CheckRule.FailedCall,
            Assert.Single(HistoryChecker.Check(history, NoFinal, TimeSpan.Zero).Violations).Rule);
        Assert.Empty(HistoryChecker.Check(history, NoFinal, TimeSpan.Zero, failuresExpected: true).Violations);
    }

    [Fact]
    public void A_failed_delete_may_have_landed_and_explains_a_later_not_found()
    {
        var result = Check([Put(1, 0, 10, v: 100), Failed(Delete(2, 20, 30)), Get(3, 40, 50)], faults: true);

        Assert.Empty(result.StaleReads);
        Assert.Empty(result.Violations);
    }

    [Fact]
    public void A_failed_put_may_land_after_a_later_acknowledged_put_its_value_read_and_kept_is_no_violation()
    {
        // The failed Put's caller never learnt its version; the read and the store tell it: 150, above the
        // acknowledged Put that began after the failed one had (from its caller's view) ended.
        var failed = Failed(Put(2, 20, 30, v: 0) with { Value = "late" });
        var read = Get(3, 70, 80, v: 150) with { Value = "late" };
        var final = new Dictionary<string, FinalState> { [Key] = new(150, "late", CachedState.None, 0) };
        Op[] history = [Put(1, 0, 10, v: 100), failed, Put(4, 40, 50, v: 140), read];

        Assert.Empty(HistoryChecker.Check(history, final, TimeSpan.Zero, failuresExpected: true).Violations);
        Assert.Equal([CheckRule.FailedCall],
            HistoryChecker.Check(history, final, TimeSpan.Zero).Violations.Select(v => v.Rule));
    }

    [Fact]
    public void An_acknowledged_put_missing_from_the_store_is_a_lost_write()
    {
        var final = new Dictionary<string, FinalState> { [Key] = new(100, "v100", CachedState.None, 0) };

        var result = HistoryChecker.Check([Put(1, 0, 10, v: 100), Put(2, 20, 30, v: 200)], final, TimeSpan.Zero);

        Assert.Equal(CheckRule.LostWrite, Assert.Single(result.Violations.Select(v => v.Rule).Distinct()));
    }

    private static CheckResult Check(params Op[] history) => Check(history, faults: false);

    private static CheckResult Check(Op[] history, bool faults) =>
        HistoryChecker.Check(history, NoFinal, TimeSpan.Zero, failuresExpected: faults);

    private static long Ms(double milliseconds) => (long)(milliseconds * Stopwatch.Frequency / 1000);

    private static Op Put(int client, double invoke, double complete, long v) =>
        new(client, 0, OpKind.Put, Key, Ms(invoke), Ms(complete), true, false, v, $"v{v}", null);

    private static Op Delete(int client, double invoke, double complete) =>
        new(client, 0, OpKind.Delete, Key, Ms(invoke), Ms(complete), true, false, 0, null, null);

    private static Op Get(int client, double invoke, double complete, long? v = null) =>
        new(client, 1, OpKind.Get, Key, Ms(invoke), Ms(complete), true, v is not null, v ?? 0,
            v is { } version ? $"v{version}" : null, null);

    private static Op Failed(Op op) => op with { Ok = false, Found = false, Error = "Unavailable: injected" };
}
