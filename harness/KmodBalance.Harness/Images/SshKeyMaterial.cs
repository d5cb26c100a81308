using System.Security.Cryptography;
using KmodBalance.Harness.Processes;

namespace KmodBalance.Harness.Images;

/// <summary>Per-image SSH keys made with dropbearkey at image build: the guest's ed25519 host
/// key (its fingerprint is pinned by the harness) and a client key (OpenSSH format for SSH.NET).</summary>
public sealed record SshKeyMaterial(string HostKeyPath, string HostKeyFingerprint, string ClientKeyPath, string AuthorizedKeysLine)
{
    public const string HostKeyFile = "dropbear_ed25519_host_key";
    public const string FingerprintFile = "host_key.fingerprint";
    public const string ClientKeyFile = "client_ed25519";
    public const string AuthorizedKeysFile = "authorized_keys";

    public static async Task<SshKeyMaterial> GenerateAsync(string dir, CancellationToken ct)
    {
        const string step = "prepare-images";
        var t = TimeSpan.FromSeconds(30);
        var hostKey = Path.Combine(dir, HostKeyFile);
        var clientDropbear = Path.Combine(dir, "client.dropbear");
        var clientKey = Path.Combine(dir, ClientKeyFile);
        await ProcessRunner.RunAsync(step, "dropbearkey", ["-t", "ed25519", "-f", hostKey], t, ct);
        await ProcessRunner.RunAsync(step, "dropbearkey", ["-t", "ed25519", "-f", clientDropbear], t, ct);
        await ProcessRunner.RunAsync(step, "dropbearconvert", ["dropbear", "openssh", clientDropbear, clientKey], t, ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(clientKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var hostPub = PublicKeyLine((await ProcessRunner.RunAsync(step, "dropbearkey", ["-y", "-f", hostKey], t, ct)).StdOut);
        var clientPub = PublicKeyLine((await ProcessRunner.RunAsync(step, "dropbearkey", ["-y", "-f", clientDropbear], t, ct)).StdOut);
        File.Delete(clientDropbear);
        var fingerprint = Fingerprint(hostPub);
        await File.WriteAllTextAsync(Path.Combine(dir, FingerprintFile), fingerprint + "\n", ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "host_key.pub"), hostPub + "\n", ct);
        await File.WriteAllTextAsync(Path.Combine(dir, AuthorizedKeysFile), clientPub + "\n", ct);
        return new SshKeyMaterial(hostKey, fingerprint, clientKey, clientPub);
    }

    /// <summary>Pure: the "ssh-ed25519 AAAA... comment" line of `dropbearkey -y` output.</summary>
    public static string PublicKeyLine(string dropbearkeyY) =>
        dropbearkeyY.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("ssh-", StringComparison.Ordinal))
        ?? throw new InvalidDataException("no public key line in dropbearkey -y output");

    /// <summary>Pure: OpenSSH-style "SHA256:base64-without-padding" fingerprint of a public key line,
    /// the same text SSH.NET reports as HostKeyEventArgs.FingerPrintSHA256 (without the prefix).</summary>
    public static string Fingerprint(string publicKeyLine)
    {
        var blob = Convert.FromBase64String(publicKeyLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
    }

    public static SshKeyMaterial Load(string dir)
    {
        var fp = File.ReadAllText(Path.Combine(dir, FingerprintFile)).Trim();
        return new SshKeyMaterial(Path.Combine(dir, HostKeyFile), fp, Path.Combine(dir, ClientKeyFile),
            File.ReadAllText(Path.Combine(dir, AuthorizedKeysFile)).Trim());
    }
}
