using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CacheSidecar.Telemetry;

/// <summary>
/// OpenTelemetry: the sidecar's meters (<see cref="SidecarMetrics"/>, write-behind), ASP.NET Core
/// and runtime metrics, scraped by Prometheus on the health port's <c>/metrics</c>; server spans,
/// exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the standard OpenTelemetry
/// environment variables configure the exporter).
/// </summary>
internal static class TelemetryRegistration
{
    public static IServiceCollection AddSidecarTelemetry(this IServiceCollection services)
    {
        var otlp = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("cachesidecar"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SidecarMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            // Only with somewhere to send them: a registered tracer makes ASP.NET Core build and
            // record an Activity for every request, which costs allocations on the hot path
            // even when no exporter would ever see the spans.
            telemetry.WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddOtlpExporter());
        }

        return services;
    }
}
