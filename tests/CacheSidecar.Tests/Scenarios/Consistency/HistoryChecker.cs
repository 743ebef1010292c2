namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// Checks a recorded history against the guarantees in docs/guarantees.md. Versions are
/// monotonic per key with no exception (a delete leaves a versioned tombstone in the store), so
/// every rule is stated with versions and real-time order alone:
/// <list type="number">
/// <item><b>No acknowledged write lost</b>: at the end the store holds what the writes that could
/// have been last (no other write started after they ended) leave behind.</item>
/// <item><b>Read-your-writes</b>: after a client's Put is acknowledged, its later Gets return that
/// version or a newer one, or "not found" only if a Delete could have come after the Put; after
/// its Delete, its Gets return "not found" or a value written after the Delete began.</item>
/// <item><b>No regression</b>: a Get never returns an older version than one some Get returned
/// before it began; no Get returns a value a completed Delete had removed before it began; every
/// value read was written by some Put, with that version.</item>
/// <item><b>Cache equals store</b> at the end (cache-aside, write-through; write-behind once drained).</item>
/// </list>
/// </summary>
internal static class HistoryChecker
{
    public static List<string> Check(IReadOnlyList<Op> history, IReadOnlyDictionary<string, FinalState> final)
    {
        var violations = new List<string>();
        foreach (var failed in history.Where(op => !op.Ok))
        {
            violations.Add($"a call failed with nothing injected: {failed}");
        }

        foreach (var perKey in history.Where(op => op.Ok).GroupBy(op => op.Key))
        {
            var ops = perKey.ToList();
            var puts = ops.Where(op => op.Kind == OpKind.Put).ToDictionary(op => op.Version);
            var deletes = ops.Where(op => op.Kind == OpKind.Delete).ToList();
            CheckReadsAreWrites(ops, puts, violations);
            CheckNoRegression(ops, puts, deletes, violations);
            CheckReadYourWrites(ops, puts, deletes, violations);
            if (final.TryGetValue(perKey.Key, out var state))
            {
                CheckFinalStore(perKey.Key, ops, puts, state, violations);
                CheckCacheEqualsStore(perKey.Key, state, violations);
            }
        }

        return violations;
    }

    private static void CheckReadsAreWrites(List<Op> ops, Dictionary<long, Op> puts, List<string> violations)
    {
        foreach (var read in ops.Where(op => op.Kind == OpKind.Get && op.Found))
        {
            if (!puts.TryGetValue(read.Version, out var put))
            {
                violations.Add($"read a version no acknowledged Put wrote: {read}");
            }
            else if (put.Value != read.Value)
            {
                violations.Add($"read version {read.Version} with another value than its Put wrote: {read}");
            }
            else if (read.Precedes(put))
            {
                violations.Add($"read a value before its Put began: {read}");
            }
        }
    }

    private static void CheckNoRegression(List<Op> ops, Dictionary<long, Op> puts, List<Op> deletes, List<string> violations)
    {
        var found = ops.Where(op => op.Kind == OpKind.Get && op.Found).ToList();
        var byCompletion = found.OrderBy(op => op.Complete).ToList();
        foreach (var read in found)
        {
            // The newest version any read returned before this one began.
            var newest = byCompletion.TakeWhile(earlier => earlier.Complete < read.Invoke).MaxBy(earlier => earlier.Version);
            if (newest is not null && read.Version < newest.Version)
            {
                violations.Add($"version regression: v{newest.Version} was read before this read began: {read}");
            }

            if (puts.TryGetValue(read.Version, out var put) && deletes.FirstOrDefault(d => put.Precedes(d) && d.Precedes(read)) is { } delete)
            {
                violations.Add($"read a value deleted before the read began ({delete}): {read}");
            }
        }
    }

    private static void CheckReadYourWrites(List<Op> ops, Dictionary<long, Op> puts, List<Op> deletes, List<string> violations)
    {
        foreach (var client in ops.GroupBy(op => op.Client))
        {
            Op? lastWrite = null;
            foreach (var op in client.OrderBy(op => op.Invoke))
            {
                if (op.IsWrite)
                {
                    lastWrite = op;
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
                        violations.Add($"read-your-writes: own Put v{lastWrite.Version} acknowledged, then read older: {op}");
                    }
                    else if (!op.Found && !deletes.Any(d => d.Invoke < op.Complete && d.Complete > lastWrite.Invoke))
                    {
                        violations.Add($"read-your-writes: own Put v{lastWrite.Version} acknowledged, then not found with no Delete in between: {op}");
                    }
                }
                else if (op.Found && !(puts.TryGetValue(op.Version, out var put) && put.Complete > lastWrite.Invoke))
                {
                    violations.Add($"read-your-writes: own Delete acknowledged, then read a value written before it: {op}");
                }
            }
        }
    }

    private static void CheckFinalStore(string key, List<Op> ops, Dictionary<long, Op> puts, FinalState state, List<string> violations)
    {
        var writes = ops.Where(op => op.IsWrite).ToList();
        if (writes.Count == 0)
        {
            return;
        }

        // The writes that could have been the last one: no other write began after they ended.
        var lastCandidates = writes.Where(w => !writes.Any(other => w.Precedes(other))).ToList();
        var candidatePuts = lastCandidates.Where(w => w.Kind == OpKind.Put).ToList();
        var anyDelete = lastCandidates.Any(w => w.Kind == OpKind.Delete);
        if (!anyDelete)
        {
            var expected = candidatePuts.Max(p => p.Version);
            if (state.StoreVersion != expected)
            {
                violations.Add($"{key}: acknowledged write lost: the store holds {Describe(state)}, the last acknowledged Put is v{expected}");
            }
        }
        else if (state.StoreVersion is { } held && !candidatePuts.Any(p => p.Version == held))
        {
            violations.Add($"{key}: the store holds v{held}, which none of the possibly-last writes wrote ({string.Join(", ", lastCandidates)})");
        }

        if (state.StoreVersion is { } version && puts.TryGetValue(version, out var put) && put.Value != state.StoreValue)
        {
            violations.Add($"{key}: the store holds v{version} with another value than its Put wrote");
        }
    }

    private static void CheckCacheEqualsStore(string key, FinalState state, List<string> violations)
    {
        switch (state.Cache)
        {
            case CachedState.Value when state.CacheVersion != state.StoreVersion:
                violations.Add($"{key}: the cache holds v{state.CacheVersion}, the store {Describe(state)}");
                break;
            case CachedState.Negative when state.StoreVersion is not null:
                violations.Add($"{key}: the cache says not found, the store holds v{state.StoreVersion}");
                break;
        }
    }

    private static string Describe(FinalState state) => state.StoreVersion is { } v ? $"v{v}" : "nothing";
}
