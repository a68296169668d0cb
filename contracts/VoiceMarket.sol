// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title The Vocalis voice market on chain.
/// @notice A token is a voice package (its IPFS CID), with its price and its per-use fee. A use is paid to the
/// contract and credited to the token's current owner (the creator's share, 80 % unless set otherwise at
/// deployment) and to the platform (the rest, so no wei is lost to rounding); each withdraws its own credit.
/// Transferring a token moves its future earnings to the new owner. The platform may anchor the head hash of
/// its off-chain ledger, so that the ledger cannot be rewritten unseen.
contract VoiceMarket is ERC721, Ownable, ReentrancyGuard {
    struct Voice {
        string cid;
        uint256 price;
        uint256 useFee;
    }

    uint16 public immutable creatorShareBps;
    uint256 public nextTokenId = 1;
    mapping(uint256 => Voice) public voices;
    mapping(bytes32 => uint256) public tokenOfCid;
    mapping(bytes32 => bool) public paidRequests;
    mapping(address => uint256) public credits;
    uint256 public ledgerSeq;
    bytes32 public ledgerHead;

    event VoiceMinted(uint256 indexed tokenId, address indexed creator, string cid, uint256 price, uint256 useFee);
    event VoiceUsed(uint256 indexed tokenId, address indexed payer, bytes32 indexed requestHash, uint256 paid,
                    uint256 toOwner, uint256 toPlatform);
    event Withdrawn(address indexed account, uint256 amount);
    event LedgerAnchored(uint256 seq, bytes32 head);

    constructor(uint16 shareBps) ERC721("Vocalis Voice", "VOICE") Ownable(msg.sender) {
        require(shareBps <= 10_000, "VoiceMarket: share over 100 %");
        creatorShareBps = shareBps;
    }

    /// @notice Mint the token of a voice package to its creator's wallet. The platform mints, once its registry
    /// has checked that the creator owns the voice and its owner consented.
    function mint(address creator, string calldata cid, uint256 price, uint256 useFee)
        external
        onlyOwner
        returns (uint256 tokenId)
    {
        bytes32 key = keccak256(bytes(cid));
        require(tokenOfCid[key] == 0, "VoiceMarket: CID already minted");
        tokenId = nextTokenId++;
        voices[tokenId] = Voice(cid, price, useFee);
        tokenOfCid[key] = tokenId;
        _mint(creator, tokenId);
        emit VoiceMinted(tokenId, creator, cid, price, useFee);
    }

    /// @notice Pay for one use of a voice; `requestHash` names the request, which is paid for once.
    function use(uint256 tokenId, bytes32 requestHash) external payable {
        address holder = _requireOwned(tokenId);
        require(!paidRequests[requestHash], "VoiceMarket: request already paid");
        require(msg.value >= voices[tokenId].useFee, "VoiceMarket: underpaid");
        paidRequests[requestHash] = true;
        uint256 toOwner = (msg.value * creatorShareBps) / 10_000;
        credits[holder] += toOwner;
        credits[owner()] += msg.value - toOwner;
        emit VoiceUsed(tokenId, msg.sender, requestHash, msg.value, toOwner, msg.value - toOwner);
    }

    /// @notice Pay out the caller's credit.
    function withdraw() external nonReentrant {
        uint256 amount = credits[msg.sender];
        require(amount > 0, "VoiceMarket: nothing to withdraw");
        credits[msg.sender] = 0;
        (bool sent, ) = payable(msg.sender).call{value: amount}("");
        require(sent, "VoiceMarket: transfer failed");
        emit Withdrawn(msg.sender, amount);
    }

    /// @notice Record the head of the platform's ledger (its entry count and hash).
    function anchor(uint256 seq, bytes32 head) external onlyOwner {
        require(seq > ledgerSeq, "VoiceMarket: ledger anchors only move forward");
        ledgerSeq = seq;
        ledgerHead = head;
        emit LedgerAnchored(seq, head);
    }
}
