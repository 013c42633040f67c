/**
 * The flags that choose the model behind agent nodes: `--provider`, `--model`, `--base-url`. They win over the
 * environment (`VICTOR_PROVIDER`, `VICTOR_MODEL`, `OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`), which wins over the
 * workflow's `llm_config`. Kept apart from the engine so that `--help` loads nothing more than these definitions.
 */
import * as Options from "@effect/cli/Options"

/** `--provider`. */
export const provider = Options.choice("provider", ["scripted", "openai", "anthropic"]).pipe(
  Options.optional,
  Options.withDescription(
    "The model provider of agent nodes (default: $VICTOR_PROVIDER, else llm_config.provider of the node or of the " +
      "workflow's metadata). openai: any OpenAI-compatible chat-completions API (OpenAI, Ollama, vLLM, LM Studio), " +
      "key in $OPENAI_API_KEY; anthropic: the Anthropic Messages API, key in $ANTHROPIC_API_KEY; scripted: a " +
      "deterministic offline provider for demos and tests that plays --script. " +
      "Example: OPENAI_API_KEY=sk-... victor workflow trace flow.yaml --provider openai --model gpt-4o-mini"
  )
)

/** `--model`. */
export const model = Options.text("model").pipe(
  Options.optional,
  Options.withDescription(
    "The model agent nodes use (default: $VICTOR_MODEL, else llm_config.model, else gpt-4o-mini for openai and " +
      "claude-3-5-haiku-latest for anthropic). Example: --model llama3.1"
  )
)

/** `--base-url`. */
export const baseUrl = Options.text("base-url").pipe(
  Options.optional,
  Options.withDescription(
    "Where the provider's API is (default: $OPENAI_BASE_URL or $ANTHROPIC_BASE_URL, else llm_config.base_url, else " +
      "the public API). A local server needs no key. " +
      "Example: --provider openai --base-url http://localhost:11434/v1 --model llama3.1 (Ollama)"
  )
)

/** The three options, for a command's config. */
export const options = { provider, model, baseUrl }

/** The values of the provider flags (`undefined` when not given). */
export interface ProviderFlags {
  readonly provider: string | undefined
  readonly model: string | undefined
  readonly baseUrl: string | undefined
}
