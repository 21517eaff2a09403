// The wallet's main calls timed from Kotlin on the JVM through JNA, the same calls in the
// same order as mobile-bindings/examples/call_times.rs (Rust) and python/bench_calls.py.
// A benchmark, not a test: the pom leaves it out of `mvn test`; scripts/bench-bindings runs
// it with `-Dtest=CallTimes` against its own `passport up` and reads the JSON it writes.

import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import org.junit.jupiter.api.Test
import uniffi.passport_wallet.PassportWallet
import uniffi.passport_wallet.WalletConfig

class CallTimes {
    private val http = HttpClient.newHttpClient()

    private fun post(url: String, token: String, body: Map<String, Any>): JSONObject {
        val request = HttpRequest.newBuilder(URI(url))
            .header("authorization", "Bearer $token")
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSONObject(body).toString()))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() in 200..299) { "$url: ${response.statusCode()} ${response.body()}" }
        return JSONObject(response.body())
    }

    private fun property(name: String): String =
        System.getProperty(name) ?: error("run by scripts/bench-bindings, which sets -D$name")

    @Test
    fun timeTheMainCalls() = runBlocking {
        val issuer = property("bench.issuer")
        val verifier = property("bench.verifier")
        val registry = property("bench.registry")
        val token = property("bench.token")
        val rounds = property("bench.rounds").toInt()
        val times = mutableMapOf<String, MutableList<Double>>()
        fun took(name: String, startedNanos: Long) {
            times.getOrPut(name) { mutableListOf() }.add((System.nanoTime() - startedNanos) / 1e6)
        }

        val folder = Files.createTempDirectory("passport-bench").toFile()
        try {
            var started = System.nanoTime()
            val wallet = PassportWallet.open(
                WalletConfig(
                    directory = folder.path,
                    passphrase = "a long passphrase for the benchmark",
                    trustListUrl = "$registry/trust-list",
                    registryDid = null,
                    allowLoopbackHttp = true,
                ),
                null,
            )
            took("open", started)
            wallet.use {
                repeat(rounds) {
                    val offer = post("$issuer/admin/people/P0001/offers", token,
                        mapOf("formats" to listOf("dc+sd-jwt"), "types" to listOf("CareIdentityCredential")))
                    started = System.nanoTime()
                    wallet.acceptOffer(offer.getString("offer_uri"), offer.getString("tx_code"))
                    took("accept_offer", started)

                    val created = post("$verifier/presentation-requests", token, mapOf("template" to "right-to-work"))
                    started = System.nanoTime()
                    val request = wallet.readRequest(created.getString("openid4vp_uri"))
                    val chosen = request.requested().filter { it.candidates.isNotEmpty() }
                        .associate { it.queryId to it.candidates.first().credentialId }
                    wallet.answer(request, chosen)
                    took("read_request_and_answer", started)

                    started = System.nanoTime()
                    wallet.credentials()
                    took("credentials", started)

                    started = System.nanoTime()
                    wallet.refreshStatuses()
                    took("refresh_statuses", started)
                }
            }
        } finally {
            folder.deleteRecursively()
        }
        val medians = times.mapValues { (_, samples) -> samples.sorted()[samples.size / 2] }
        File(property("bench.out")).writeText(
            JSONObject(mapOf("language" to "kotlin", "rounds" to rounds, "median_ms" to medians)).toString())
    }
}
