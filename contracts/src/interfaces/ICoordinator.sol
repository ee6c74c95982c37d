// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ICoordinator: the ml2chain inference coordinator, as consumers and nodes see it
/// @notice The protocol (events, commitment layout, callback calldata, gas rules, error
/// codes, timeouts, fees and withdrawals) is specified in docs/coordinator.md.
interface ICoordinator {
    /// @notice The fields of a request, as emitted in {Requested} and passed back to
    /// {fulfill}. The coordinator stores only a commitment to them (one slot).
    /// @param requestId       id assigned by {request} (a hash; see docs/coordinator.md)
    /// @param modelId         the registered model to run
    /// @param requester       msg.sender of {request}; the only one who may {cancel}
    /// @param callback        contract called back on fulfilment (address(0): no callback)
    /// @param selector        function selector called on `callback`
    /// @param callbackGasLimit exact gas the callback receives
    /// @param deadline        unix time after which the requester may {cancel}
    /// @param payment         wei escrowed for the operator (the quote at request time)
    /// @param inputHash       keccak256 of the request's input bytes
    struct Request {
        uint256 requestId;
        uint256 modelId;
        address requester;
        address callback;
        bytes4 selector;
        uint32 callbackGasLimit;
        uint64 deadline;
        uint256 payment;
        bytes32 inputHash;
    }

    /// @notice One item of {fulfillBatch}.
    struct Fulfilment {
        Request req;
        bytes output;
        uint32 errorCode;
    }

    /// @notice Everything stored about a model.
    struct Model {
        address operator;
        uint88 fee;
        bool active;
        bytes32 modelHash;
        uint32 inputSize;
        uint32 outputSize;
        uint64 challengeWindow;
        uint128 minBond;
        string uri;
    }

    /// @notice State of a request slot (see docs/coordinator.md, "Commitment layout").
    enum RequestState {
        None,
        Pending,
        Fulfilled,
        Cancelled
    }

    event ModelRegistered(
        uint256 indexed modelId,
        address indexed operator,
        bytes32 indexed modelHash,
        string uri,
        uint256 fee,
        uint32 inputSize,
        uint32 outputSize
    );
    event ModelFeeChanged(uint256 indexed modelId, uint256 fee);
    event ModelRetired(uint256 indexed modelId);
    event CallbackGasPriceChanged(uint256 indexed modelId, uint256 weiPerGas);

    /// @notice Emitted once per request with every field a node needs to serve and fulfil it.
    /// Five of the Request fields are packed into two words (docs/coordinator.md, "Events"):
    /// @param callbackWord callback << 96 | selector << 64 | callbackGasLimit << 32 (the low
    /// 32 bits are 0): the callback address, selector and gas limit in their ABI byte order
    /// @param terms deadline << 192 | payment
    event Requested(
        uint256 indexed requestId,
        uint256 indexed modelId,
        address indexed requester,
        bytes32 callbackWord,
        uint256 terms,
        bytes input
    );

    /// @notice Emitted once per fulfilled request (by the model's operator). The output itself
    /// is in the fulfilling transaction's calldata (and with the consumer); the event carries
    /// its hash.
    /// @param outcome errorCode << 8 | callbackSuccess (1 iff the callback ran and did not revert)
    /// @param outputHash keccak256 of the output bytes
    event Fulfilled(uint256 indexed requestId, uint256 outcome, bytes32 outputHash);

    /// @notice Emitted by {fulfillBatch} for an item it did not serve.
    event FulfilmentSkipped(uint256 indexed requestId, SkipReason reason);

    event Cancelled(uint256 indexed requestId, address indexed requester, uint256 refund);
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice A model's earnings were moved to its operator's balance ({collect}).
    event EarningsCollected(uint256 indexed modelId, address indexed operator, uint256 amount);

    enum SkipReason {
        Unknown,
        AlreadyFulfilled,
        Cancelled,
        Mismatch,
        OperatorBlocked
    }

    /// @notice Verification settings of a model changed (docs/verification.md).
    event VerificationSet(uint256 indexed modelId, uint64 challengeWindow, uint128 minBond);
    event BondPosted(uint256 indexed modelId, uint256 amount, uint256 total);
    event UnbondingStarted(uint256 indexed modelId, uint64 at);
    event BondWithdrawn(uint256 indexed modelId, address indexed to, uint256 amount);
    /// @notice A fulfilled result was shown wrong by on-chain re-execution: the operator's
    /// bond was slashed (`toChallenger` to the challenger, the rest to the requester), the
    /// operator is barred from the model, and the corrected output was recorded and delivered.
    event Challenged(
        uint256 indexed requestId,
        address indexed challenger,
        address indexed operator,
        uint256 slashed,
        uint256 toChallenger,
        bytes32 correctedOutputHash,
        bool callbackSuccess
    );

    /// @notice A final-only request (callbackGasLimit with FINAL_ONLY) was called back: by
    /// {deliver} after its challenge window with the fulfilled result, or by a successful
    /// challenge with the corrected one (docs/verification.md). Emitted at most once per request.
    event Delivered(
        uint256 indexed requestId, address indexed caller, uint32 errorCode, bool callbackSuccess, bytes output
    );

    error ModelNotActive(uint256 modelId);
    error NotModelOperator(uint256 modelId, address caller);
    error InvalidModelHash();
    error FeeTooHigh(uint256 fee);
    error InvalidSize();
    error GasPriceTooHigh(uint256 weiPerGas);
    error CallbackGasLimitTooHigh(uint32 limit, uint32 max);
    error InputTooLarge(uint256 length, uint256 max);
    error OutputTooLarge(uint256 length, uint256 max);
    error InsufficientPayment(uint256 required, uint256 sent);
    error UnknownRequest(uint256 requestId);
    error AlreadyFulfilled(uint256 requestId);
    error RequestIsCancelled(uint256 requestId);
    error RequestMismatch(uint256 requestId);
    error NotRequester(uint256 requestId, address caller);
    error DeadlineNotReached(uint256 requestId, uint64 deadline);
    error InsufficientGasForCallback(uint256 requestId);
    error TransferFailed(address to, uint256 amount);
    error NothingToWithdraw();
    error OperatorBlocked(uint256 modelId);
    error WindowDecrease(uint64 current, uint64 requested);
    error Unbonding(uint256 modelId);
    error NotUnbonded(uint256 modelId, uint256 withdrawableAt);
    error NotFulfilled(uint256 requestId);
    error AlreadyCorrected(uint256 requestId);
    error ResultMismatch(uint256 requestId);
    error ChallengeWindowClosed(uint256 requestId);
    error ModelBytesMismatch(bytes32 expected, bytes32 got);
    error InputBytesMismatch(bytes32 expected, bytes32 got);
    error InputNotDecidable(uint256 requestId);
    error ResultCorrect(uint256 requestId);
    error NotFinalOnly(uint256 requestId);
    error NotFinal(uint256 requestId, uint256 finalAfter);
    error AlreadyDelivered(uint256 requestId);

    function registerModel(bytes32 modelHash, string calldata uri, uint256 fee, uint32 inputSize, uint32 outputSize)
        external
        returns (uint256 modelId);
    function setModelFee(uint256 modelId, uint256 fee) external;
    function retireModel(uint256 modelId) external;
    function setCallbackGasPrice(uint256 modelId, uint256 weiPerGas) external;

    function quote(uint256 modelId, uint32 callbackGasLimit) external view returns (uint256);
    function request(uint256 modelId, bytes calldata input, address callback, bytes4 selector, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId);
    function fulfill(Request calldata req, bytes calldata output, uint32 errorCode)
        external
        returns (bool callbackSuccess);
    function fulfillBatch(Fulfilment[] calldata items) external returns (uint256 served);
    function cancel(Request calldata req) external;
    function deliver(Request calldata req, bytes calldata output, uint32 errorCode)
        external
        returns (bool callbackSuccess);
    function isFinal(uint256 requestId, uint256 modelId) external view returns (bool);
    function withdraw(address payable to) external;
    function collect(uint256 modelId) external returns (uint256 amount);
    function earnings(uint256 modelId) external view returns (uint256);

    function getModel(uint256 modelId) external view returns (Model memory);
    function requestState(uint256 requestId) external view returns (RequestState);
    function commitmentOf(uint256 requestId) external view returns (bytes32);
    function balanceOf(address account) external view returns (uint256);
    function callbackGasPrice(uint256 modelId) external view returns (uint256);
}
