namespace Capstan.Delivery.Apps;

/// <summary>The demo app a brand-new config repo starts with: four versions of the built-in demo service, dev and staging on 1.0.0.</summary>
public static class DemoAppSeed
{
    public const string App = "demo";
    public static readonly string[] Versions = ["1.0.0", "1.1.0", "1.2.0", "1.3.0"];

    /// <summary>The version that never becomes healthy, to show automatic rollback.</summary>
    public const string UnhealthyVersion = "1.3.0";

    public static readonly IReadOnlyDictionary<string, string> Files = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [DeliverySection.AppFile(App)] = """
            # The demo app: a tiny HTTP service built into the capstan executable. It serves its version
            # on / and its health on /healthz. Version 1.3.0 never becomes healthy, on purpose: deploy it
            # to see Capstan roll back with a revert commit. Reference: docs/delivery.md.
            description: Demo service that serves its version
            run:
              # argv, never a shell. {capstan} is this Capstan's own executable; {port} a free port on 127.0.0.1.
              command: ["{capstan}", demo-app, --port, "{port}", --version, "{version}"]
              environment:
                DEMO_GREETING: hello from {env}
            health:
              path: /healthz
              expectStatus: 200
              timeout: 2s
              deadline: 15s
              interval: 5s
            versions:
              1.0.0: {}
              1.1.0: {}
              1.2.0: {}
              1.3.0: { note: never becomes healthy (on purpose) }

            """,
        ["environments/dev/demo.yaml"] = "version: 1.0.0\n",
        ["environments/staging/demo.yaml"] = "version: 1.0.0\n",
    };
}
