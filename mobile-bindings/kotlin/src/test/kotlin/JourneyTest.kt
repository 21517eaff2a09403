// The journey on a phone, from Kotlin on the JVM: the wallet through the generated
// bindings and JNA, its holder keys in a keystore written here in Kotlin (standing in for
// Android Keystore), against the real services started by `passport up` on loopback.

import java.io.File
import java.net.ServerSocket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.Signature
import java.time.Duration
import java.time.Instant
import java.time.LocalDate
import java.time.ZoneOffset
import java.time.temporal.ChronoUnit
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import uniffi.passport_wallet.CredentialStatus
import uniffi.passport_wallet.HolderKey
import uniffi.passport_wallet.HolderKeyStore
import uniffi.passport_wallet.KeyStoreException
import uniffi.passport_wallet.PassportException
import uniffi.passport_wallet.PassportWallet
import uniffi.passport_wallet.WalletConfig
import uniffi.passport_wallet.WalletListener
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/** Ed25519 keys held by the JVM (as a phone's keystore would hold them): they never leave. */
open class KotlinKeyStore : HolderKeyStore {
    private val keys = Collections.synchronizedMap(mutableMapOf<String, KeyPair>())
    val signatures = AtomicInteger()

    override fun createKey(): HolderKey {
        val id = "kt-${keys.size}"
        keys[id] = KeyPairGenerator.getInstance("Ed25519").generateKeyPair()
        return publicKey(id)
    }

    override fun publicKey(id: String): HolderKey {
        val pair = keys[id] ?: throw KeyStoreException.Failed("no key $id")
        // An Ed25519 X.509 SubjectPublicKeyInfo ends with the 32-byte raw key.
        val encoded = pair.public.encoded
        return HolderKey(id, encoded.copyOfRange(encoded.size - 32, encoded.size))
    }

    override fun sign(id: String, message: ByteArray): ByteArray {
        val pair = keys[id] ?: throw KeyStoreException.Failed("no key $id")
        signatures.incrementAndGet()
        return Signature.getInstance("Ed25519").run {
            initSign(pair.private)
            update(message)
            sign()
        }
    }
}

class Heard : WalletListener {
    val changes = Collections.synchronizedList(mutableListOf<Pair<String, CredentialStatus>>())
    override fun credentialStatusChanged(credentialId: String, status: CredentialStatus) {
        changes.add(credentialId to status)
    }
}

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JourneyTest {
    private val http = HttpClient.newHttpClient()
    private lateinit var work: File
    private lateinit var process: Process
    private lateinit var token: String
    private val ports = List(3) { ServerSocket(0).use { it.localPort } }
    private val issuer = "http://127.0.0.1:${ports[0]}"
    private val registry = "http://127.0.0.1:${ports[1]}"
    private val verifier = "http://127.0.0.1:${ports[2]}"

    @BeforeAll
    fun startThePlatform() {
        work = Files.createTempDirectory("passport-kotlin").toFile()
        process = ProcessBuilder(
            System.getProperty("passport.bin"), "up",
            "--data", File(work, "store").path,
            "--sample-data", System.getProperty("passport.sample.data"),
            "--issuer-port", ports[0].toString(),
            "--registry-port", ports[1].toString(),
            "--verifier-port", ports[2].toString(),
        ).redirectErrorStream(true).redirectOutput(File(work, "passport-up.log")).start()
        val deadline = Instant.now().plusSeconds(120)
        while (!listOf(issuer, registry, verifier).all { healthy(it) }) {
            check(process.isAlive && Instant.now().isBefore(deadline)) {
                "passport up did not start: " + File(work, "passport-up.log").readText()
            }
            Thread.sleep(200)
        }
        token = File(work, "store/dev-token").readText().trim()
    }

    @AfterAll
    fun stopThePlatform() {
        process.destroy()
        process.waitFor()
        work.deleteRecursively()
    }

    private fun healthy(url: String): Boolean = try {
        http.send(HttpRequest.newBuilder(URI("$url/healthz")).timeout(Duration.ofSeconds(1)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200
    } catch (e: java.io.IOException) {
        false
    }

    /** The RA, the officer and ESR, with the development token. */
    private fun call(method: String, url: String, body: JSONObject? = null): Pair<Int, JSONObject> {
        val request = HttpRequest.newBuilder(URI(url))
            .header("authorization", "Bearer $token")
            .header("content-type", "application/json")
            .method(method, body?.let { HttpRequest.BodyPublishers.ofString(it.toString()) }
                ?: HttpRequest.BodyPublishers.noBody())
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        return response.statusCode() to JSONObject(response.body().ifEmpty { "{}" })
    }

    private fun offer(person: String, body: JSONObject = JSONObject()): JSONObject {
        val (status, offer) = call("POST", "$issuer/admin/people/$person/offers", body)
        assertEquals(201, status, offer.toString())
        return offer
    }

    private fun wallet(name: String, keys: HolderKeyStore?, passphrase: String = "a long passphrase for the test") =
        PassportWallet.open(
            WalletConfig(
                directory = File(work, name).path,
                passphrase = passphrase,
                trustListUrl = "$registry/trust-list",
                registryDid = null,
                allowLoopbackHttp = true,
            ),
            keys,
        )

    @Test
    fun theWholeJourneyWithKeysHeldInKotlin(): Unit = runBlocking {
        val keys = KotlinKeyStore()
        val wallet = wallet("journey", keys)
        val offer = offer("P0001")
        val link = offer.getString("offer_uri")

        val offered = wallet.readOffer(link)
        assertEquals(issuer, offered.issuer)
        assertTrue(offered.needsPin)

        val received = wallet.acceptOffer(link, offer.getString("tx_code"))
        assertEquals(setOf("ldp_vc", "dc+sd-jwt"), received.map { it.format }.toSet())
        assertEquals(received.map { it.id }.sorted(), wallet.credentials().map { it.id }.sorted())
        assertTrue(keys.signatures.get() >= received.size, "every proof of possession signed in Kotlin")
        val holder = wallet.holderDid()
        received.filter { it.format == "ldp_vc" }.forEach {
            assertEquals(holder, JSONObject(it.raw).getJSONObject("credentialSubject").getString("id"))
        }

        // The onboarding officer asks; the wallet shows who asks and what, then answers.
        val (status, created) = call("POST", "$verifier/presentation-requests", JSONObject(mapOf("template" to "new-starter")))
        assertEquals(201, status, created.toString())
        val request = wallet.readRequest(created.getString("openid4vp_uri"))
        assertTrue(request.registeredName() != null, "the trust registry lists the verifier")
        val requested = request.requested()
        assertTrue(requested.isNotEmpty() && requested.all { it.candidates.isNotEmpty() })
        val signedBefore = keys.signatures.get()
        wallet.answer(request, requested.associate { it.queryId to it.candidates.first().credentialId })
        assertTrue(keys.signatures.get() > signedBefore, "the presentation was signed in Kotlin")
        val (_, result) = call("GET", "$verifier/presentation-requests/${created.getString("id")}")
        assertEquals("received", result.getString("status"), result.toString())
        assertEquals(true, result.getJSONObject("result").getBoolean("verified"), result.toString())

        val history = wallet.history()
        assertEquals(received.size, history.count { it.event == "received" })
        assertEquals("presented", history.last().event)
        assertTrue(history.last().claims.isNotEmpty())

        // The person leaves: the listener hears that every credential was revoked.
        val heard = Heard()
        wallet.setListener(heard)
        assertTrue(wallet.refreshStatuses().all { it.status == CredentialStatus.VALID && !it.changed })
        val now = Instant.now().truncatedTo(ChronoUnit.SECONDS)
        val leaver = JSONObject(mapOf(
            "event_id" to "EVT-KT-P0001", "event_type" to "LEAVER",
            "occurred_at" to now.minusSeconds(60).toString(),
            "org_ods" to "RJ1", "person_id" to "P0001", "assignment_number" to "30493776",
            "payload" to mapOf("leaving_date" to LocalDate.now(ZoneOffset.UTC).toString(),
                "reason" to "resignation", "staying_in_nhs" to false),
        ))
        val (applied, reply) = call("POST", "$issuer/esr/events", leaver)
        assertEquals(200, applied, reply.toString())
        val statuses = wallet.refreshStatuses()
        assertTrue(statuses.all { it.status == CredentialStatus.REVOKED && it.changed }, statuses.toString())
        assertEquals(received.map { it.id to CredentialStatus.REVOKED }.toSet(), heard.changes.toSet())
        assertEquals("status_changed", wallet.history().last().event)
        wallet.close()
    }

    @Test
    fun errorsArriveAsTypedExceptions(): Unit = runBlocking {
        val wallet = wallet("errors", KotlinKeyStore())
        assertFailsWith<PassportException.UnreadableLink> { wallet.readOffer("not what a QR code should hold") }
        assertFailsWith<PassportException.UnreadableLink> { wallet.readRequest("openid4vp://?client_id=nothing") }

        val offer = offer("P0002", JSONObject(mapOf("formats" to listOf("ldp_vc"))))
        val link = offer.getString("offer_uri")
        val pin = offer.getString("tx_code")
        assertFailsWith<PassportException.WrongPin> { wallet.acceptOffer(link, if (pin == "000000") "111111" else "000000") }
        assertTrue(wallet.credentials().isEmpty())
        wallet.acceptOffer(link, pin)
        assertFailsWith<PassportException.OfferUnavailable> { wallet.acceptOffer(link, pin) }
        val held = wallet.credentials().size
        val brief = offer("P0002", JSONObject(mapOf("formats" to listOf("ldp_vc"), "expires_in_seconds" to 1)))
        Thread.sleep(1500)
        assertFailsWith<PassportException.OfferUnavailable> {
            wallet.acceptOffer(brief.getString("offer_uri"), brief.getString("tx_code"))
        }
        assertEquals(held, wallet.credentials().size)
        wallet.close()
        assertFailsWith<PassportException.WrongPassphrase> { wallet("errors", KotlinKeyStore(), "not the passphrase") }
    }

    @Test
    fun aKeystoreThatFailsIsReportedAndNothingIsStored(): Unit = runBlocking {
        val broken = object : KotlinKeyStore() {
            override fun sign(id: String, message: ByteArray): ByteArray =
                throw KeyStoreException.Failed("the user cancelled the biometric prompt")
        }
        val wallet = wallet("broken", broken)
        val offer = offer("P0003", JSONObject(mapOf("formats" to listOf("dc+sd-jwt"))))
        val refused = assertFailsWith<PassportException.KeyStore> {
            wallet.acceptOffer(offer.getString("offer_uri"), offer.getString("tx_code"))
        }
        assertTrue(refused.message.contains("biometric"), refused.message)
        assertTrue(wallet.credentials().isEmpty())
        wallet.close()
    }
}
