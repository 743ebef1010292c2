using System.Diagnostics;

namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// Checks a recorded history against the guarantees in docs/guarantees.md. Versions are
/// monotonic per key with no exception (a delete leaves a versioned tombstone in the store), so
/// every rule is stated with versions and real-time order alone:
/// <list type="number">
/// <item><b>No acknowledged write lost</b>: at the end the store holds what the writes that could
/// have been last (no other write started after they ended) leave behind, and nothing older than
/// an acknowledged Put.</item>
/// <item><b>Read-your-writes</b>: after a client's Put is acknowledged, its later Gets return that
/// version or a newer one, or "not found" only if a Delete could have come after the Put; after
/// its Delete, its Gets return "not found" or a value written after the Delete began.</item>
/// <item><b>No regression</b>: a Get never returns an older version than one some Get returned
/// before it began; no Get returns a value a completed Delete had removed before it began; every
/// value read was written by some Put, with that version.</item>
/// <item><b>Cache equals store</b> at the end (cache-aside, write-through; write-behind once drained).</item>
/// <item><b>Freshness</b> (real time): a Get must not miss a write that another client finished before
/// the Get began. A Get that does is stale; its staleness is how long before the Get began the
/// earliest such write had finished, and it must not exceed the allowance (0 in steady state).</item>
/// </list>
/// A failed call is a violation unless failures are expected (a fault is injected). Either way a failed
/// write is not evidence of anything, but may explain what others saw: it may have taken effect, at any
/// time after it began, or not at all.
/// </summary>
internal static class HistoryChecker
{
    /// <summary>Steady state: no call may fail, and no read may be stale.</summary>
    public static List<string> Check(IReadOnlyList<Op> history, IReadOnlyDictionary<string, FinalState> final) =>
        [.. Check(history, final, TimeSpan.Zero).Violations.Select(violation => violation.ToString())];

    /// <param name="history">Every call, failed ones included.</param>
    /// <param name="final">What the store and the cache hold at the end, per key.</param>
    /// <param name="allowedStaleness">How stale a read may be before it is a violation.</param>
    /// <param name="failuresExpected">
    /// A fault is injected, so calls may fail: failed calls are not violations (only fault tests set this).
    /// </param>
    public static CheckResult Check(IReadOnlyList<Op> history, IReadOnlyDictionary<string, FinalState> final,
        TimeSpan allowedStaleness, bool failuresExpected = false)
    {
        var violations = new List<Violation>();
        var staleReads = new List<StaleRead>();
        if (!failuresExpected)
        {
            foreach (var failed in history.Where(op => !op.Ok))
            {
                violations.Add(new(CheckRule.FailedCall, $"a call failed with nothing injected: {failed}"));
            }
        }

        foreach (var perKey in history.GroupBy(op => op.Key))
        {
            final.TryGetValue(perKey.Key, out var state);
            var ops = Normalize(perKey, state);
            var puts = PutsByVersion(ops, violations);
            var deletes = ops.Where(op => op.Kind == OpKind.Delete).ToList();
            CheckReadsAreWrites(ops, puts, violations);
            CheckNoRegression(ops, puts, deletes, violations);
            CheckReadYourWrites(ops, puts, deletes, violations);
            CheckFreshness(ops, puts, deletes, allowedStaleness, staleReads, violations);
            if (state is not null)
            {
                CheckFinalStore(perKey.Key, ops, state, violations);
                CheckCacheEqualsStore(perKey.Key, state, violations);
            }
        }

        return new CheckResult(violations, staleReads, history.Count(op => op.Ok && op.Kind == OpKind.Get));
    }

    /// <summary>
    /// Successful calls as they are; failed writes as writes that may have taken effect at any time after
    /// they began (their end becomes <see cref="long.MaxValue"/>, so they precede nothing), with the
    /// version the caller never learnt recovered where their value was seen; other failed calls dropped.
    /// </summary>
    private static List<Op> Normalize(IEnumerable<Op> perKey, FinalState? state)
    {
        var ops = perKey.ToList();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var read in ops.Where(op => op is { Ok: true, Kind: OpKind.Get, Found: true, Value: not null }))
        {
            seen.TryAdd(read.Value!, read.Version);
        }

        if (state is { StoreValue: { } stored, StoreVersion: { } storedVersion })
        {
            seen.TryAdd(stored, storedVersion);
        }

        return
        [
            .. ops.Where(op => op.Ok || op.IsWrite).Select(op => op.Ok ? op : op with
            {
                Complete = long.MaxValue,
                Version = op.Kind == OpKind.Put && op.Value is { } value && seen.TryGetValue(value, out var v) ? v : 0,
            }),
        ];
    }

    /// <summary>Puts by version: the acknowledged ones, and failed ones whose version was recovered.</summary>
    private static Dictionary<long, Op> PutsByVersion(List<Op> ops, List<Violation> violations)
    {
        var puts = new Dictionary<long, Op>();
        foreach (var put in ops.Where(op => op.Kind == OpKind.Put && op.Version != 0))
        {
            if (!puts.TryAdd(put.Version, put))
            {
                violations.Add(new(CheckRule.ReadsAreWrites,
                    $"two Puts with version {put.Version}: {puts[put.Version]} and {put}"));
            }
        }

        return puts;
    }

    private static void CheckReadsAreWrites(List<Op> ops, Dictionary<long, Op> puts, List<Violation> violations)
    {
        foreach (var read in ops.Where(op => op.Kind == OpKind.Get && op.Found))
        {
            if (!puts.TryGetValue(read.Version, out var put))
            {
                violations.Add(new(CheckRule.ReadsAreWrites, $"read a version no acknowledged Put wrote: {read}"));
            }
            else if (put.Value != read.Value)
            {
                violations.Add(new(CheckRule.ReadsAreWrites,
                    $"read version {read.Version} with another value than its Put wrote: {read}"));
            }
            else if (read.Precedes(put))
            {
                violations.Add(new(CheckRule.ReadsAreWrites, $"read a value before its Put began: {read}"));
            }
        }
    }

    private static void CheckNoRegression(List<Op> ops, Dictionary<long, Op> puts, List<Op> deletes,
        List<Violation> violations)
    {
        var found = ops.Where(op => op.Kind == OpKind.Get && op.Found).ToList();
        var byCompletion = found.OrderBy(op => op.Complete).ToList();
        foreach (var read in found)
        {
            // The newest version any read returned before this one began.
            var newest = byCompletion.TakeWhile(earlier => earlier.Complete < read.Invoke)
                .MaxBy(earlier => earlier.Version);
            if (newest is not null && read.Version < newest.Version)
            {
                violations.Add(new(CheckRule.NoRegression,
                    $"version regression: v{newest.Version} was read before this read began: {read}"));
            }

            if (puts.TryGetValue(read.Version, out var put)
                && deletes.FirstOrDefault(d => put.Precedes(d) && d.Precedes(read)) is { } delete)
            {
                violations.Add(new(CheckRule.NoRegression,
                    $"read a value deleted before the read began ({delete}): {read}"));
            }
        }
    }

    private static void CheckReadYourWrites(List<Op> ops, Dictionary<long, Op> puts, List<Op> deletes,
        List<Violation> violations)
    {
        foreach (var client in ops.GroupBy(op => op.Client))
        {
            Op? lastWrite = null;
            foreach (var op in client.OrderBy(op => op.Invoke))
            {
                if (op.IsWrite)
                {
                    // A failed write promises nothing; the acknowledged one before it still binds.
                    lastWrite = op.Ok ? op : lastWrite;
                    continue;
                }

                if (op.Kind != OpKind.Get || lastWrite is null)
                {
                    continue;
                }

                if (lastWrite.Kind == OpKind.Put)
                {
                    if (op.Found && op.Version < lastWrite.Version)
                    {
                        violations.Add(new(CheckRule.ReadYourWrites,
                            $"own Put v{lastWrite.Version} acknowledged, then read older: {op}"));
                    }
                    else if (!op.Found && !deletes.Any(d => d.Invoke < op.Complete && d.Complete > lastWrite.Invoke))
                    {
                        violations.Add(new(CheckRule.ReadYourWrites,
                            $"own Put v{lastWrite.Version} acknowledged, then not found with no Delete in between: "
                            + op));
                    }
                }
                else if (op.Found && !(puts.TryGetValue(op.Version, out var put) && put.Complete > lastWrite.Invoke))
                {
                    violations.Add(new(CheckRule.ReadYourWrites,
                        $"own Delete acknowledged, then read a value written before it: {op}"));
                }
            }
        }
    }

    /// <summary>
    /// The real-time freshness measure. A Get R missed a write W that finished before R began when:
    /// <list type="bullet">
    /// <item>R read version v, and W is a Put of a newer version (versions only grow, also across deletes);</item>
    /// <item>R read version v, W is a Delete, and v's Put had finished before W began (so the delete's
    /// tombstone is above v; a Put that overlapped the Delete may have landed after it, and is no miss);</item>
    /// <item>R found nothing, W is a Put, and no Delete could have come after W and been seen by R: every
    /// Delete ended before W began, or began after R ended. A failed Delete may have taken effect, so it
    /// counts as one that could have.</item>
    /// </list>
    /// Writes overlapping R are never counted: R may be ordered before them.
    /// </summary>
    private static void CheckFreshness(List<Op> ops, Dictionary<long, Op> puts, List<Op> deletes,
        TimeSpan allowedStaleness, List<StaleRead> staleReads, List<Violation> violations)
    {
        var ackedPuts = ops.Where(op => op is { Ok: true, Kind: OpKind.Put }).ToList();
        var ackedDeletes = deletes.Where(d => d.Ok).ToList();

        // For "not found": the latest end among the Deletes that began before a given time, by prefix maximum.
        var byInvoke = deletes.OrderBy(d => d.Invoke).ToList();
        var invokes = byInvoke.Select(d => d.Invoke).ToArray();
        var latestEnd = new long[byInvoke.Count];
        for (var i = 0; i < byInvoke.Count; i++)
        {
            latestEnd[i] = Math.Max(byInvoke[i].Complete, i == 0 ? long.MinValue : latestEnd[i - 1]);
        }

        foreach (var read in ops.Where(op => op.Kind == OpKind.Get))
        {
            IEnumerable<Op> missed;
            if (read.Found)
            {
                var readPut = puts.GetValueOrDefault(read.Version);
                missed = ackedPuts.Where(p => p.Version > read.Version && p.Precedes(read))
                    .Concat(ackedDeletes.Where(d => d.Precedes(read) && readPut is not null && readPut.Precedes(d)));
            }
            else
            {
                // Deletes that began before the read ended; the latest of their ends bounds what they explain.
                var began = Array.BinarySearch(invokes, read.Complete);
                var count = began >= 0 ? began : ~began;
                while (count > 0 && invokes[count - 1] >= read.Complete)
                {
                    count--;
                }

                var explainedAfter = count == 0 ? long.MinValue : latestEnd[count - 1];
                missed = ackedPuts.Where(p => p.Precedes(read) && explainedAfter <= p.Invoke);
            }

            if (missed.MinBy(write => write.Complete) is not { } earliest)
            {
                continue;
            }

            var stale = new StaleRead(read, earliest, Stopwatch.GetElapsedTime(earliest.Complete, read.Invoke));
            staleReads.Add(stale);
            if (stale.Staleness > allowedStaleness)
            {
                violations.Add(new(CheckRule.Freshness, $"stale read: {stale}"));
            }
        }
    }

    private static void CheckFinalStore(string key, List<Op> ops, FinalState state, List<Violation> violations)
    {
        var writes = ops.Where(op => op.IsWrite).ToList();
        var acked = writes.Where(w => w.Ok).ToList();
        if (writes.Count == 0)
        {
            return;
        }

        // The writes that could have been the last one: acknowledged ones that no other acknowledged write
        // began after, and every failed one (it may have landed at any time after it began, or not at all).
        var lastBegan = acked.Count == 0 ? long.MinValue : acked.Max(w => w.Invoke);
        var lastCandidates = writes.Where(w => !w.Ok || w.Complete >= lastBegan).ToList();
        var candidatePuts = lastCandidates.Where(w => w.Kind == OpKind.Put && w.Version != 0).ToList();
        var anyDelete = lastCandidates.Any(w => w.Kind == OpKind.Delete);
        var held = state.StoreVersion;
        if (!anyDelete)
        {
            var expected = candidatePuts.Where(p => p.Ok).Select(p => p.Version).DefaultIfEmpty(0).Max();
            if ((held ?? 0) < expected || (held is { } version && !candidatePuts.Any(p => p.Version == version)))
            {
                violations.Add(new(CheckRule.LostWrite,
                    $"{key}: acknowledged write lost: the store holds {Describe(state)}, "
                    + $"the last acknowledged Put is v{expected}"));
            }
        }
        else if (held is { } version && !candidatePuts.Any(p => p.Version == version))
        {
            violations.Add(new(CheckRule.LostWrite,
                $"{key}: the store holds v{version}, which none of the possibly-last writes wrote "
                + $"({string.Join(", ", lastCandidates)})"));
        }

        // Every acknowledged Put reached the store, and stored versions only grow.
        if (held is { } current && acked.Where(w => w.Kind == OpKind.Put).MaxBy(p => p.Version) is { } newest
            && current < newest.Version)
        {
            violations.Add(new(CheckRule.LostWrite,
                $"{key}: the store holds v{current}, older than the acknowledged {newest}"));
        }

        if (held is { } stored && ops.FirstOrDefault(op => op.Kind == OpKind.Put && op.Version == stored) is { } put
            && put.Value != state.StoreValue)
        {
            violations.Add(new(CheckRule.LostWrite,
                $"{key}: the store holds v{stored} with another value than its Put wrote"));
        }
    }

    private static void CheckCacheEqualsStore(string key, FinalState state, List<Violation> violations)
    {
        switch (state.Cache)
        {
            case CachedState.Value when state.CacheVersion != state.StoreVersion:
                violations.Add(new(CheckRule.CacheEqualsStore,
                    $"{key}: the cache holds v{state.CacheVersion}, the store {Describe(state)}"));
                break;
            case CachedState.Negative when state.StoreVersion is not null:
                violations.Add(new(CheckRule.CacheEqualsStore,
                    $"{key}: the cache says not found, the store holds v{state.StoreVersion}"));
                break;
        }
    }

    private static string Describe(FinalState state) => state.StoreVersion is { } v ? $"v{v}" : "nothing";
}
