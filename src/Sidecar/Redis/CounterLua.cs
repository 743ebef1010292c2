namespace CacheSidecar.Redis;

/// <summary>
/// Lua for the counter steps (pure-cache and write-behind Increment), declared once. Lua numbers are
/// doubles, exact only to 2^53: counters and deltas below 10^15 in magnitude (the common case) are added
/// in Lua; beyond that the arithmetic is Redis's own <c>INCRBY</c> on a scratch key of the partition (its
/// slot, so Cluster allows it), read back as a string: exact over the whole int64 range, with Redis's
/// overflow check. The counter rule is <c>Core.Counter</c>'s: a JSON content type and one
/// JSON integer, optionally surrounded by JSON whitespace.
/// </summary>
internal static class CounterLua
{
    /// <summary>
    /// Defines <c>counterOf(data, contentType)</c> (the integer's digits, or nil when the value is not a
    /// counter) and <c>addTo(scratch, digits, delta, notCounter, overflow)</c> (the sum as a string; else nil
    /// and the step's refusal: <c>notCounter</c> when the value is beyond int64, <c>overflow</c> when the sum
    /// would be).
    /// </summary>
    public const string Functions = """
        local function counterOf(data, contentType)
          local media = string.lower(string.match(contentType or '', '^[^;]*') or '')
          media = string.match(media, '^%s*(.-)%s*$')
          if media ~= 'application/json' and string.sub(media, -5) ~= '+json' then return nil end
          local digits = string.match(data or '', '^[ \t\r\n]*(%-?%d+)[ \t\r\n]*$')
          if not digits or string.match(digits, '^%-?0%d') then return nil end
          if digits == '-0' then return '0' end
          return digits
        end
        local function addTo(scratch, digits, delta, notCounter, overflow)
          if #digits < 16 and #delta < 16 then
            -- Both below 10^15 in magnitude, so both and their sum are exact in a double: no extra commands.
            return string.format('%.0f', tonumber(digits) + tonumber(delta))
          end
          redis.call('SET', scratch, digits)
          local fits = redis.pcall('INCRBY', scratch, 0)
          if type(fits) == 'table' and fits.err then redis.call('DEL', scratch) return nil, notCounter end
          local sum = redis.pcall('INCRBY', scratch, delta)
          if type(sum) == 'table' and sum.err then redis.call('DEL', scratch) return nil, overflow end
          sum = redis.call('GET', scratch)
          redis.call('DEL', scratch)
          return sum
        end
        """;
}
